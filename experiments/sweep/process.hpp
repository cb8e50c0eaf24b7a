#pragma once
// One child process of the sweep (an mpirun), with its output in a log file,
// a time limit, and a clean kill of everything it started.
//
// The child runs in a session of its own. Open MPI gives each rank its own
// process group but leaves it in mpirun's session, so when the limit passes
// (or the sweep is interrupted) the child's group gets SIGTERM — mpirun then
// stops its ranks, also on other hosts — and, if anything of the session is
// still alive after a grace period, every process of the session gets SIGKILL.

#include <string>
#include <vector>

namespace cdcnn::sweep {

struct ProcessResult {
  int exit_code = -1;      ///< exit status, or -1 if killed by a signal
  int signal = 0;          ///< the signal that ended it (0: it exited)
  bool timed_out = false;  ///< the limit passed and it was killed
  bool interrupted = false;  ///< the sweep got SIGINT/SIGTERM/SIGHUP and killed it
  double elapsed_s = 0;
  std::string error;  ///< empty on a normal exit 0; otherwise what went wrong, one line
};

struct ProcessSpec {
  std::vector<std::string> argv;  ///< argv[0] is a path or a name looked up in PATH
  std::vector<std::string> env;   ///< "NAME=value", the whole environment
  std::string directory = ".";    ///< working directory
  std::string log_path;           ///< stdout and stderr go here (truncated); stdin is /dev/null
  double timeout_s = 0;           ///< 0: no limit
  double grace_s = 5;             ///< between SIGTERM and SIGKILL
};

/// Runs the process to its end (or to the limit, or to an interrupt).
/// Error only if it cannot be started at all (e.g. the log cannot be opened).
ProcessResult run_process(const ProcessSpec& spec);

/// This process's environment plus `extra` ("NAME=value", replacing any
/// variable of that name).
std::vector<std::string> environment_with(const std::vector<std::string>& extra);

/// The full path of `program` looked up in PATH (as execvp would), or empty.
std::string find_program(const std::string& program);

/// SIGINT, SIGTERM and SIGHUP set a flag instead of ending the sweep: the
/// running child is killed, results are written, and the sweep stops.
void install_interrupt_handlers();
bool interrupted();

}  // namespace cdcnn::sweep
