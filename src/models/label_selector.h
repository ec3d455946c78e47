#pragma once

// Kubernetes label selectors (reference/bacalhau-api.md §2.3 and §5.11): the text syntax used by
// `labels=` query parameters and `--constraints`, and the structured requirements of
// Job.Constraints.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "models/job.h"

namespace cod::models {

// Checks one requirement: known operator; in/notin need ≥ 1 value; exists/! need none; the others
// exactly one; gt/lt need an integer; key is a valid label key. Errors name what is wrong.
Status validateRequirement(const LabelSelectorRequirement& req);

// True when `labels` satisfy `req`. `!=`, `notin` and `!` match when the key is absent.
bool matches(const LabelSelectorRequirement& req, const StringMap& labels);

// The text form of one requirement: "k", "!k", "k=v", "k in (a,b)", "k>3", …
std::string formatRequirement(const LabelSelectorRequirement& req);

class LabelSelector {
 public:
  // Parses "k", "!k", "k=v", "k==v", "k!=v", "k in (a,b)", "k notin (a,b)", "k>n", "k<n",
  // comma-separated. An empty string is the selector that matches everything.
  static Result<LabelSelector> parse(std::string_view text);
  // Several selector strings joined with "," (the repeated `labels` query parameter).
  static Result<LabelSelector> parseAll(const std::vector<std::string>& texts);
  static LabelSelector fromRequirements(std::vector<LabelSelectorRequirement> reqs);

  bool matches(const StringMap& labels) const;
  bool empty() const { return requirements_.empty(); }
  // The requirements in text form, comma-separated; parse(toString()) gives the same selector.
  std::string toString() const;
  const std::vector<LabelSelectorRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<LabelSelectorRequirement> requirements_;
};

}  // namespace cod::models
