#pragma once

// What the benchmark programs share: flag reading, the noop job they submit, percentiles.

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/job.h"

namespace cod::bench {

// "--name value" from the command line, or `fallback` when absent.
inline std::string stringFlag(int argc, char** argv, const char* name,
                              const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) return argv[i + 1];
  }
  return fallback;
}

inline double numberFlag(int argc, char** argv, const char* name, double fallback) {
  std::string v = stringFlag(argc, argv, name, "");
  return v.empty() ? fallback : std::atof(v.c_str());
}

// A one-partition noop batch job.
inline models::Job noopJob() {
  models::Job j;
  j.type = models::kJobTypeBatch;
  j.count = 1;
  models::Task t;
  t.name = "main";
  t.engine.type = "noop";
  j.tasks.push_back(t);
  return j;
}

// The value at fraction `p` (0..1) of the sorted samples; 0 when there are none.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[idx];
}

}  // namespace cod::bench
