#include "cli/job_follow.h"

#include <cstdlib>
#include <ctime>
#include <deque>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cod::cli {
namespace {

using api::client::HistoryPage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

models::JobHistory event(uint64_t seq, std::string topic, std::string message,
                         std::string execution_id = "") {
  models::JobHistory h;
  h.seq_num = seq;
  h.type = execution_id.empty() ? models::JobHistoryType::kJobLevel
                                : models::JobHistoryType::kExecutionLevel;
  h.job_id = "j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3";
  h.execution_id = std::move(execution_id);
  h.event.topic = std::move(topic);
  h.event.message = std::move(message);
  h.time = fromUnixNanos(1724099000000000000 + static_cast<int64_t>(seq) * 100000000);
  return h;
}

// Serves scripted pages in order and records the token each call sent; a call past the script
// repeats the last answer.
class ScriptedHistory {
 public:
  void add(Result<HistoryPage> page) { pages_.push_back(std::move(page)); }
  Result<HistoryPage> operator()(const std::string& token) {
    tokens.push_back(token);
    if (pages_.size() > 1) {
      auto page = pages_.front();
      pages_.pop_front();
      return page;
    }
    return pages_.front();
  }
  std::vector<std::string> tokens;

 private:
  std::deque<Result<HistoryPage>> pages_;
};

class FollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  Result<FollowResult> follow(ScriptedHistory& script, FollowOptions options = {}) {
    return followHistory(
        options, [&](const std::string& token) { return script(token); }, clock_,
        [&](Duration d) {
          sleeps_.push_back(d);
          clock_.advance(d);
        },
        out_);
  }
  ManualClock clock_;
  std::vector<Duration> sleeps_;
  std::ostringstream out_;
};

TEST_F(FollowTest, PrintsEachEventOnceAndStopsWhenTheTokenIsEmpty) {
  ScriptedHistory script;
  script.add(HistoryPage{{event(1, "Submission", "Job submitted")}, "t1"});
  script.add(HistoryPage{{}, "t1"});  // nothing new yet: wait
  script.add(
      HistoryPage{{event(2, "Scheduling", "Requested execution on n-2c4d5e6f", "e-7f3c2a1b-1111"),
                   event(3, "Execution", "Completed successfully", "e-7f3c2a1b-1111")},
                  "t3"});
  script.add(HistoryPage{{event(4, "State Update", "Completed")}, ""});
  auto result = follow(script);
  ASSERT_TRUE(result.isOk()) << result.status().toString();
  EXPECT_EQ(result->outcome, FollowOutcome::kFinished);
  EXPECT_EQ(result->events, 4u);
  EXPECT_THAT(script.tokens, ElementsAre("", "t1", "t1", "t3"));
  // Only the empty page made it wait.
  EXPECT_THAT(sleeps_, ElementsAre(std::chrono::milliseconds(15)));
  EXPECT_EQ(out_.str(),
            "20:23:20.100                Submission         Job submitted\n"
            "20:23:20.200   e-7f3c2a1b   Scheduling         Requested execution on n-2c4d5e6f\n"
            "20:23:20.300   e-7f3c2a1b   Execution          Completed successfully\n"
            "20:23:20.400                State Update       Completed\n");
}

TEST_F(FollowTest, HeaderLinesUpWithEvents) {
  EXPECT_EQ(followHeader({}), "TIME           EXEC. ID     TOPIC              EVENT\n");
}

TEST_F(FollowTest, ErrorEventsAreCollectedAndShowTheirHint) {
  auto failing = event(2, "Exec Timeout", "Execution timed out", "e-7f3c2a1b-1111");
  failing.event.details = {{"IsError", "true"}, {"Hint", "Increase the task timeout"}};
  ScriptedHistory script;
  script.add(HistoryPage{{event(1, "Submission", "Job submitted"), failing}, ""});
  auto result = follow(script);
  ASSERT_TRUE(result.isOk());
  ASSERT_EQ(result->errors.size(), 1u);
  EXPECT_EQ(result->errors[0].event.message, "Execution timed out");
  EXPECT_THAT(out_.str(),
              HasSubstr("\n" + std::string(47, ' ') + "Hint: Increase the task timeout\n"));
}

TEST_F(FollowTest, TimesOutWhenTheJobNeverEnds) {
  ScriptedHistory script;
  script.add(HistoryPage{{}, "t0"});
  FollowOptions options;
  options.timeout = std::chrono::seconds(2);
  options.first_poll_interval = std::chrono::milliseconds(500);
  options.poll_interval = std::chrono::milliseconds(500);
  auto result = follow(script, options);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->outcome, FollowOutcome::kTimedOut);
  EXPECT_EQ(sleeps_.size(), 4u);  // polls at 0, .5, 1, 1.5, 2 s
  EXPECT_EQ(script.tokens.size(), 5u);
}

TEST_F(FollowTest, PollsQuicklyAtFirstThenBacksOff) {
  ScriptedHistory script;
  script.add(HistoryPage{{}, "t0"});
  FollowOptions options;
  options.timeout = std::chrono::seconds(5);
  auto result = follow(script, options);
  ASSERT_TRUE(result.isOk());
  // 2 s of 15 ms polls, then 22.5 ms, 33.75 ms, … up to 250 ms.
  ASSERT_GE(sleeps_.size(), 140u);
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(15));
  EXPECT_EQ(sleeps_[132], std::chrono::milliseconds(15));
  EXPECT_GT(sleeps_[140], std::chrono::milliseconds(15));
  EXPECT_EQ(sleeps_.back(), std::chrono::milliseconds(250));
}

TEST_F(FollowTest, LongRunningJobsDetachAtTheFirstExecutionEvent) {
  ScriptedHistory script;
  script.add(HistoryPage{{event(1, "Submission", "Job submitted")}, "t1"});
  script.add(HistoryPage{{event(2, "Scheduling", "Requested execution", "e-1")}, "t2"});
  script.add(HistoryPage{{event(3, "Execution", "never reached", "e-1")}, "t3"});
  FollowOptions options;
  options.long_running = true;
  auto result = follow(script, options);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->outcome, FollowOutcome::kDetached);
  EXPECT_EQ(result->events, 2u);
  EXPECT_THAT(out_.str(), Not(HasSubstr("never reached")));
}

TEST_F(FollowTest, RidesOutAnUnavailableServerButNotOtherErrors) {
  ScriptedHistory script;
  script.add(HistoryPage{{event(1, "Submission", "Job submitted")}, "t1"});
  script.add(unavailable("cannot reach the cod API"));
  script.add(HistoryPage{{event(2, "State Update", "Completed")}, ""});
  auto result = follow(script);
  ASSERT_TRUE(result.isOk()) << result.status().toString();
  EXPECT_EQ(result->events, 2u);
  EXPECT_THAT(script.tokens, ElementsAre("", "t1", "t1"));

  ScriptedHistory broken;
  broken.add(notFound("job not found"));
  auto error = follow(broken);
  ASSERT_FALSE(error.isOk());
  EXPECT_EQ(error.error().code(), StatusCode::kNotFound);

  ScriptedHistory down;
  down.add(unavailable("down"));
  FollowOptions options;
  options.max_unavailable = 3;
  auto gave_up = follow(down, options);
  ASSERT_FALSE(gave_up.isOk());
  EXPECT_EQ(down.tokens.size(), 4u);
}

TEST_F(FollowTest, QuietPrintsNothing) {
  ScriptedHistory script;
  script.add(HistoryPage{{event(1, "Submission", "Job submitted")}, ""});
  FollowOptions options;
  options.quiet = true;
  ASSERT_TRUE(follow(script, options).isOk());
  EXPECT_EQ(out_.str(), "");
}

TEST(FollowUpTest, MentionsJobGetOnlyWithAPublisher) {
  models::Job job;
  job.id = "j-1";
  job.tasks.emplace_back();
  EXPECT_THAT(followUpCommands(job), HasSubstr("cod job describe j-1"));
  EXPECT_THAT(followUpCommands(job), HasSubstr("cod job executions j-1"));
  EXPECT_THAT(followUpCommands(job), Not(HasSubstr("cod job get")));
  job.task().publisher.type = "noop";
  EXPECT_THAT(followUpCommands(job), Not(HasSubstr("cod job get")));
  job.task().publisher.type = "local";
  EXPECT_THAT(followUpCommands(job), HasSubstr("cod job get j-1"));
  job.state.state_type = models::JobStateType::kFailed;
  EXPECT_THAT(followUpCommands(job), Not(HasSubstr("cod job get")));
}

}  // namespace
}  // namespace cod::cli
