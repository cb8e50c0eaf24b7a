#pragma once
// An appendable HDF5 table: a 1-D chunked, unlimited dataset of a compound
// type, grown record by record while a run goes on (the trace's inference,
// layer and shard tables). Records are plain structs; the field list maps
// each member to a column.

#include <cstddef>
#include <string>
#include <vector>

#include "io/hdf5.hpp"

namespace cdcnn::h5 {

struct Column {
  const char* name;
  std::size_t offset;  ///< offsetof(Record, member)
  hid_t type;          ///< H5T_NATIVE_DOUBLE, H5T_NATIVE_INT64, H5T_NATIVE_INT32, H5T_NATIVE_INT8
};

class AppendableTable {
 public:
  /// Creates dataset `name` under `where` for records of `record_size` bytes.
  AppendableTable(const Location& where, const std::string& name, std::size_t record_size,
                  const std::vector<Column>& columns, hsize_t chunk_records = 256);
  /// Opens an existing table for reading (`record_size` and `columns` must
  /// describe the same struct it was written with).
  static AppendableTable open(const Location& where, const std::string& name, std::size_t record_size,
                              const std::vector<Column>& columns);

  /// Appends `count` records from `records` (an array of the struct).
  void append(const void* records, std::size_t count);
  /// Overwrites rows [first, first + count) in place (allowed under SWMR,
  /// unlike a new dataset): a fixed table filled in as facts become known.
  /// Error if the rows do not all exist.
  void overwrite(hsize_t first, const void* records, std::size_t count);
  /// Pushes this table's data and size to the file (H5Dflush).
  void flush() const;
  hsize_t size() const { return rows_; }
  /// Reads every record into `out`, an array of size() structs.
  void read_all(void* out) const;
  const std::string& where() const { return where_; }

 private:
  AppendableTable(Handle dataset, Handle memory_type, std::size_t record_size, hsize_t rows, std::string where);
  Handle dataset_;
  Handle memory_type_;
  std::size_t record_size_;
  hsize_t rows_;
  std::string where_;
};

}  // namespace cdcnn::h5
