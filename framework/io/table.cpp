#include "io/table.hpp"

#include "core/error.hpp"

namespace cdcnn::h5 {

namespace {

Handle compound_type(std::size_t record_size, const std::vector<Column>& columns) {
  Handle type(H5Tcreate(H5T_COMPOUND, record_size), H5Tclose);
  require(type.valid(), "cannot create an HDF5 compound type");
  for (const auto& c : columns) require(H5Tinsert(type.get(), c.name, c.offset, c.type) >= 0,
                                        "cannot add column '", c.name, "' to an HDF5 compound type");
  return type;
}

}  // namespace

AppendableTable::AppendableTable(Handle dataset, Handle memory_type, std::size_t record_size, hsize_t rows,
                                 std::string where)
    : dataset_(std::move(dataset)), memory_type_(std::move(memory_type)), record_size_(record_size), rows_(rows),
      where_(std::move(where)) {}

AppendableTable::AppendableTable(const Location& where, const std::string& name, std::size_t record_size,
                                 const std::vector<Column>& columns, hsize_t chunk_records)
    : memory_type_(compound_type(record_size, columns)), record_size_(record_size), rows_(0),
      where_(where.where(name)) {
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
  Handle space(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
  Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(props.get(), 1, &chunk_records);
  // The file stores the packed form of the struct (no padding bytes).
  Handle file_type(H5Tcopy(memory_type_.get()), H5Tclose);
  H5Tpack(file_type.get());
  dataset_ = Handle(H5Dcreate2(where.id(), name.c_str(), file_type.get(), space.get(), H5P_DEFAULT, props.get(),
                               H5P_DEFAULT),
                    H5Dclose);
  require(dataset_.valid(), where_, ": cannot create table");
}

AppendableTable AppendableTable::open(const Location& where, const std::string& name, std::size_t record_size,
                                      const std::vector<Column>& columns) {
  require(where.has(name), where.where(), ": missing table '", name, "'");
  Handle d(H5Dopen2(where.id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  require(d.valid(), where.where(name), ": cannot open table");
  Handle space(H5Dget_space(d.get()), H5Sclose);
  hsize_t rows = 0;
  require(H5Sget_simple_extent_ndims(space.get()) == 1, where.where(name), ": a table must be 1-D");
  H5Sget_simple_extent_dims(space.get(), &rows, nullptr);
  return AppendableTable(std::move(d), compound_type(record_size, columns), record_size, rows, where.where(name));
}

void AppendableTable::append(const void* records, std::size_t count) {
  if (count == 0) return;
  const hsize_t start = rows_, n = count, new_size = rows_ + count;
  require(H5Dset_extent(dataset_.get(), &new_size) >= 0, where_, ": cannot grow table");
  Handle file_space(H5Dget_space(dataset_.get()), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr);
  Handle memory_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  require(H5Dwrite(dataset_.get(), memory_type_.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, records) >= 0,
          where_, ": cannot append records");
  rows_ = new_size;
}

void AppendableTable::overwrite(hsize_t first, const void* records, std::size_t count) {
  if (count == 0) return;
  const hsize_t n = count;
  require(first + n <= rows_, where_, ": cannot overwrite rows ", first, "..", first + n - 1, " of a table of ", rows_);
  Handle file_space(H5Dget_space(dataset_.get()), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &n, nullptr);
  Handle memory_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  require(H5Dwrite(dataset_.get(), memory_type_.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, records) >= 0,
          where_, ": cannot overwrite records");
}

void AppendableTable::flush() const { require(H5Dflush(dataset_.get()) >= 0, where_, ": cannot flush table"); }

void AppendableTable::read_all(void* out) const {
  if (rows_ == 0) return;
  require(H5Dread(dataset_.get(), memory_type_.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0, where_,
          ": cannot read table");
}

}  // namespace cdcnn::h5
