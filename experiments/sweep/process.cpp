#include "sweep/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.hpp"

extern char** environ;

namespace cdcnn::sweep {

namespace {

volatile sig_atomic_t interrupt_flag = 0;

void on_interrupt(int) { interrupt_flag = 1; }

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Every live process whose session is `sid` (from /proc; empty elsewhere).
/// Zombies are left out: they are dead already, only not reaped.
std::vector<pid_t> session_members(pid_t sid) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (!proc) return pids;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string text;
    if (!std::getline(stat, text)) continue;
    // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0, session = 0;
    if (rest >> state >> ppid >> pgrp >> session && session == sid && state != "Z")
      pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return pids;
}

/// Waits up to `limit_s` for the child to end; true if it did (and fills status).
bool wait_for(pid_t pid, double limit_s, int& status) {
  const auto start = Clock::now();
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) {
      status = 0;
      return true;
    }
    if (seconds_since(start) >= limit_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

/// SIGTERM to the child's group, then SIGKILL to whatever of its session is
/// left after `grace_s`; reaps the child.
int stop(pid_t pid, double grace_s) {
  int status = 0;
  kill(-pid, SIGTERM);
  const bool ended = wait_for(pid, grace_s, status);
  // The ranks may outlive mpirun (each in a group of its own): end the session.
  for (int round = 0; round < 50; ++round) {
    const auto left = session_members(pid);
    if (left.empty()) break;
    for (pid_t p : left) kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!ended) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  return status;
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &action, nullptr);
}

bool interrupted() { return interrupt_flag != 0; }

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra) replaced = replaced || x.substr(0, x.find('=')) == name;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::string find_program(const std::string& program) {
  if (program.empty()) return "";
  auto executable = [](const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) return executable(program) ? program : "";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (executable(candidate)) return candidate;
  }
  return "";
}

ProcessResult run_process(const ProcessSpec& spec) {
  require(!spec.argv.empty(), "run_process: no program");
  const std::string program = find_program(spec.argv[0]);
  require(!program.empty(), "'", spec.argv[0], "': no such program (not found in PATH or not executable)");
  const int log = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  require(log >= 0, "cannot write '", spec.log_path, "': ", std::strerror(errno));

  // Everything the child needs is made before fork: it only calls
  // async-signal-safe functions until exec.
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* failed_chdir = "sweep: cannot enter the run's directory\n";
  const char* failed_exec = "sweep: cannot execute the launcher\n";

  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log);
    throw Error(cat("cannot start '", program, "': ", std::strerror(errno)));
  }
  if (pid == 0) {
    setsid();
    const int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &dfl, nullptr);
    if (chdir(spec.directory.c_str()) != 0) {
      (void)!write(2, failed_chdir, std::strlen(failed_chdir));
      _exit(126);
    }
    execve(program.c_str(), argv.data(), envp.data());
    (void)!write(2, failed_exec, std::strlen(failed_exec));
    _exit(127);
  }
  close(log);

  ProcessResult result;
  int status = 0;
  for (;;) {
    const double limit = 0.05;
    if (wait_for(pid, limit, status)) break;
    if (interrupted()) {
      result.interrupted = true;
      status = stop(pid, spec.grace_s);
      break;
    }
    if (spec.timeout_s > 0 && seconds_since(start) > spec.timeout_s) {
      result.timed_out = true;
      status = stop(pid, spec.grace_s);
      break;
    }
  }
  // A launcher that exited normally may still leave ranks behind (it should
  // not); they belong to this run and go with it.
  for (pid_t p : session_members(pid)) kill(p, SIGKILL);
  result.elapsed_s = seconds_since(start);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);

  const std::string name = spec.argv[0].substr(spec.argv[0].rfind('/') + 1);  // npos + 1 == 0
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", spec.timeout_s);
  if (result.interrupted) result.error = "interrupted";
  else if (result.timed_out) result.error = cat("timed out after ", seconds, " s: killed");
  else if (result.signal) result.error = cat(name, " killed by signal ", result.signal, " (", strsignal(result.signal), ")");
  else if (result.exit_code != 0) result.error = cat(name, " exited with status ", result.exit_code);
  return result;
}

}  // namespace cdcnn::sweep
