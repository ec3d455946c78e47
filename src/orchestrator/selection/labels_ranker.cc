#include "common/strings.h"
#include "models/label_selector.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

namespace {
constexpr std::string_view kFavourPrefix = "favour_";

std::string describe(const models::LabelSelectorRequirement& req) {
  std::string out = req.key + " " + req.op;
  if (!req.values.empty()) out += " " + join(req.values, ",");
  return out;
}
}  // namespace

RankResult LabelsRanker::rank(const RankRequest& req, const models::NodeState& node) const {
  const auto& constraints = req.job->constraints;
  if (constraints.empty()) return RankResult::ok(0);
  int score = 0;
  bool has_hard = false;
  for (const auto& c : constraints) {
    if (startsWith(c.key, kFavourPrefix)) {
      models::LabelSelectorRequirement soft = c;
      soft.key = c.key.substr(kFavourPrefix.size());
      if (models::matches(soft, node.info.labels)) score += 10;
      continue;
    }
    has_hard = true;
    if (!models::matches(c, node.info.labels)) {
      return RankResult::unsuitable("labels do not match constraint \"" + describe(c) + "\"");
    }
  }
  return RankResult::ok(score + (has_hard ? 10 : 0));
}

}  // namespace cod::orchestrator::selection
