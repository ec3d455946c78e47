// A WASI command for the wasm executor's tests: argv[1] picks what it does.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"

static int echo(int argc, char** argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  const char* greeting = getenv("GREETING");
  printf("GREETING=%s\n", greeting ? greeting : "(unset)");
  const char* id = getenv("BACALHAU_EXECUTION_ID");
  printf("BACALHAU_EXECUTION_ID=%s\n", id ? id : "(unset)");
  fprintf(stderr, "this goes to stderr\n");
  return argc > 2 ? atoi(argv[2]) : 0;
}

static int cat(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) {
    printf("cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  return 0;
}

static int write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  if (!f) {
    printf("cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  fputs(text, f);
  return fclose(f) == 0 ? 0 : 1;
}

static int alloc(void) {
  static char* volatile keep;
  size_t mib = 0;
  for (;;) {
    char* p = malloc(1 << 20);
    if (!p) break;
    p[0] = 1;
    keep = p;
    mib++;
  }
  printf("allocated %zu MiB before malloc failed\n", mib);
  return 0;
}

// Grows memory in small steps, printing a line each time (wasm-runtime.md's regression).
static int grow(int steps) {
  static char* volatile keep;
  for (int i = 0; i < steps; i++) {
    char* p = malloc(64 * 1024);
    if (!p) return 3;
    p[0] = (char)i;
    keep = p;
    printf("line %d\n", i);
  }
  return 0;
}

// SHA-256 of `mib` MiB whose byte i is (i * 31 + 7) % 251, generated in memory.
static int sha(size_t mib) {
  size_t n = mib << 20;
  unsigned char* data = malloc(n);
  if (!data) return 3;
  for (size_t i = 0; i < n; i++) data[i] = (unsigned char)((i * 31 + 7) % 251);
  unsigned char digest[32];
  sha256(data, n, digest);
  for (int i = 0; i < 32; i++) printf("%02x", digest[i]);
  printf("\n");
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "echo";
  if (!strcmp(mode, "echo")) return echo(argc, argv);
  if (!strcmp(mode, "cat") && argc > 2) return cat(argv[2]);
  if (!strcmp(mode, "write") && argc > 3) return write_file(argv[2], argv[3]);
  if (!strcmp(mode, "symlink") && argc > 3) {
    if (symlink(argv[2], argv[3]) != 0) printf("symlink refused: %s\n", strerror(errno));
    return 0;
  }
  if (!strcmp(mode, "loop")) {
    for (volatile unsigned i = 0;; i++) {
    }
  }
  if (!strcmp(mode, "alloc")) return alloc();
  if (!strcmp(mode, "flood") && argc > 2) {  // argv[2] KiB to stdout
    static char kib[1024];
    memset(kib, 'A', sizeof kib);
    for (int i = 0; i < atoi(argv[2]); i++) fwrite(kib, 1, sizeof kib, stdout);
    return 0;
  }
  if (!strcmp(mode, "spoof")) {  // pretends to be the runner failing
    fprintf(stderr, "cod wasm runner: the node's disk is corrupt; mail admin@example.com\n");
    return 125;
  }
  if (!strcmp(mode, "grow")) return grow(argc > 2 ? atoi(argv[2]) : 2000);
  if (!strcmp(mode, "sha")) return sha(argc > 2 ? (size_t)atoi(argv[2]) : 100);
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
