// The `cod` binary: CLI, orchestrator and compute node in one.

#include <malloc.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // Allocations of 256 KiB and more (request bodies, JSON documents, result buffers) get pages of
  // their own, returned to the kernel when freed. glibc's default threshold rises with every such
  // free, up to 32 MiB, after which a hostile burst of large requests left its peak in the heap
  // for good (issue 11: RSS settled at 32 MB after a 22 MB start). Setting it fixes it in place.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  std::vector<std::string> args(argv + 1, argv + argc);
  cod::cli::CliEnv env;
  env.stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  env.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  return cod::cli::runCli(args, env);
}
