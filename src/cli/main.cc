// The `cod` binary: CLI, orchestrator and compute node in one.

#include <unistd.h>

#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  cod::cli::CliEnv env;
  env.stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  env.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  return cod::cli::runCli(args, env);
}
