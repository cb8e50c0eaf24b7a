#pragma once
// The options several commands share, each declared once here: its name,
// type, default and whether it is required. The command passes the line of
// help that says what it does with it, and where to store it (if anywhere:
// otherwise it is read from the variables_map under its name).

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "layers/model.hpp"
#include "layers/weight_selection.hpp"

namespace cdcnn::cli {

namespace po = boost::program_options;

enum class Presence { required, optional };

/// --model NAME|FILE: a model file or zoo name (io/model_file.hpp's open_model).
void add_model_option(po::options_description& options, const char* help, std::string* to = nullptr,
                      Presence presence = Presence::required);
/// "0,3" → {0, 3}: the value of `flag`, numbers in lo..hi (each a `what`,
/// named in the error), none twice; "none" or "-" → {}. Error naming the flag.
std::vector<int> parse_number_list(const std::string& flag, const std::string& text, int lo, int hi,
                                   const std::string& what);
/// The model --model names (io/model_file.hpp's open_model), its warnings
/// (a layer nobody consumes) printed to stderr as "cdcnn COMMAND: warning: ...".
Model open_model_option(const std::string& name_or_path, std::uint64_t seed, const char* command,
                        const WeightSelection& weights = WeightSelection::all());
/// --seed N (default 0): the seed of zoo weights and of whatever else the command draws.
void add_seed_option(po::options_description& options, const char* help, std::uint64_t* to = nullptr);
/// --threads N (default 1): compute threads of this process (each rank's,
/// under mpirun), core/parallel.hpp. Results do not depend on it.
void add_threads_option(po::options_description& options, int* to);
/// --csv FILE|-: the command's rows as CSV ('-': to stdout).
void add_csv_option(po::options_description& options, const char* help);
/// Prints what a command with --csv shows: with `--csv -` the CSV alone on
/// stdout; otherwise the table, and the CSV written to the --csv file if one
/// was named (Error naming --csv if it cannot be written).
void print_table_or_csv(const po::variables_map& vm, const std::string& table, const std::string& csv);
/// --code-plugin LIB.so (repeatable), of every command that builds codes.
void add_plugin_option(po::options_description& options, std::vector<std::string>* to = nullptr);
/// Loads the plugins named by --code-plugin into the code registry.
void load_plugins(const po::variables_map& vm);

}  // namespace cdcnn::cli
