#include "cli/sweep_launch.hpp"

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "cli/run_options.hpp"
#include "core/error.hpp"
#include "sweep/process.hpp"

namespace cdcnn::cli {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

/// This executable: the cdcnn every run starts.
std::string own_executable() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  require(!ec, "cannot find this executable's path (/proc/self/exe): ", ec.message());
  const std::string path = self.string();
  require(path.find(" (deleted)") == std::string::npos && fs::exists(self), "this cdcnn (", path,
          ") was deleted or replaced since it started: start the sweep again");
  return path;
}

}  // namespace

sweep::SweepOptions sweep_options(const std::string& out_dir, const std::string& launcher,
                                  const std::string& hostfile, double timeout_s) {
  sweep::SweepOptions o;
  o.out_dir = fs::absolute(out_dir).lexically_normal().string();
  o.launcher = split_words(launcher);
  require(!o.launcher.empty(), "--mpirun: empty");
  require(!sweep::find_program(o.launcher[0]).empty(), "--mpirun: '", o.launcher[0],
          "' not found (not in PATH, or not executable)");
  if (!hostfile.empty()) {
    o.hostfile = fs::absolute(hostfile).string();
    require(fs::is_regular_file(o.hostfile), "--hostfile: cannot read '", hostfile, "'");
  }
  o.timeout_s = timeout_s;
  require(o.timeout_s > 0, "--timeout-s must be positive");
  // With --enable-recovery, mpirun hangs on an executable that does not exist.
  o.cdcnn = own_executable();
  // Open MPI refuses root unless told; the runs of a sweep as root are meant.
  o.env = sweep::environment_with(geteuid() == 0 ? std::vector<std::string>{"OMPI_ALLOW_RUN_AS_ROOT=1",
                                                                            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"}
                                                 : std::vector<std::string>{});
  o.provenance = sweep::current_provenance();
  o.run_flags = run_flags();
  return o;
}

}  // namespace cdcnn::cli
