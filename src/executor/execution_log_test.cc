#include "executor/execution_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;

class ExecutionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-log-test-" + newUuid());
    fs::create_directories(dir_);
    path_ = executionLogPath(dir_.string(), "e-1");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  std::string path_;
};

std::vector<LogRecord> readAll(ExecutionLogReader& r) {
  std::vector<LogRecord> all;
  while (true) {
    auto got = r.next(size_t{1024} * 1024);
    EXPECT_TRUE(got.isOk()) << got.status().toString();
    if (!got.isOk() || got->empty()) return all;
    for (auto& rec : *got) all.push_back(std::move(rec));
  }
}

TEST_F(ExecutionLogTest, LinesComeAsWrittenInOrderAcrossStreamsAndEndOnClose) {
  auto w = ExecutionLogWriter::create(path_);
  ASSERT_TRUE(w.isOk());
  auto r = ExecutionLogReader::open(path_);
  ASSERT_TRUE(r.isOk());
  (*w)->write(LogStream::kStdout, "one\ntw");
  (*w)->write(LogStream::kStderr, "oops\n");
  auto first = readAll(**r);
  ASSERT_EQ(first.size(), 2u) << "the unfinished line is held back";
  EXPECT_EQ(first[0].data, "one\n");
  EXPECT_EQ(first[1].stream, LogStream::kStderr);
  EXPECT_EQ(first[1].data, "oops\n");
  EXPECT_FALSE((*r)->ended());
  (*w)->write(LogStream::kStdout, "o\nthree");
  (*w)->close();
  (*w)->write(LogStream::kStdout, "after close\n");
  auto rest = readAll(**r);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].data, "two\n");
  EXPECT_EQ(rest[1].data, "three") << "an unfinished last line is kept at the end";
  EXPECT_TRUE((*r)->ended());
}

TEST_F(ExecutionLogTest, ALongLineIsSplitNotLostAndBytesStayAsTheyWere) {
  auto w = ExecutionLogWriter::create(path_);
  ASSERT_TRUE(w.isOk());
  std::string line(ExecutionLogWriter::kMaxPendingLine * 2 + 10, 'x');
  line[5] = '\xff';
  line[6] = '\0';
  line += '\n';
  (*w)->write(LogStream::kStdout, line);
  (*w)->close();
  auto r = ExecutionLogReader::open(path_);
  ASSERT_TRUE(r.isOk());
  std::string joined;
  for (const auto& rec : readAll(**r)) joined += rec.data;
  EXPECT_EQ(joined, line);
  EXPECT_TRUE((*r)->ended());
}

TEST_F(ExecutionLogTest, ALogStopsGrowingAtItsCapSayingSoAndStillEnds) {
  auto w = ExecutionLogWriter::create(path_, 4096);
  ASSERT_TRUE(w.isOk());
  for (int i = 0; i < 10000; ++i) (*w)->write(LogStream::kStdout, "a chatty service's line\n");
  (*w)->close();
  EXPECT_LE(fs::file_size(path_), 4096u + 200u);

  auto r = ExecutionLogReader::open(path_);
  ASSERT_TRUE(r.isOk());
  auto all = readAll(**r);
  EXPECT_TRUE((*r)->ended());
  ASSERT_GT(all.size(), 10u);
  EXPECT_EQ(all.front().data, "a chatty service's line\n");
  EXPECT_EQ(all.back().stream, LogStream::kStderr);
  EXPECT_NE(all.back().data.find("truncated at"), std::string::npos) << all.back().data;
  for (size_t i = 0; i + 1 < all.size(); ++i) EXPECT_EQ(all[i].stream, LogStream::kStdout);
}

TEST_F(ExecutionLogTest, SkipToEndReadsOnlyWhatComesLater) {
  auto w = ExecutionLogWriter::create(path_);
  ASSERT_TRUE(w.isOk());
  (*w)->write(LogStream::kStdout, "old\nolder\n");
  auto r = ExecutionLogReader::open(path_);
  ASSERT_TRUE(r.isOk());
  ASSERT_TRUE((*r)->skipToEnd().isOk());
  (*w)->write(LogStream::kStdout, "new\n");
  auto got = readAll(**r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "new\n");
  (*w)->close();
  auto ended = ExecutionLogReader::open(path_);
  ASSERT_TRUE((*ended)->skipToEnd().isOk());
  EXPECT_TRUE(readAll(**ended).empty());
  EXPECT_TRUE((*ended)->ended()) << "the end of a finished log survives skipping";
}

TEST_F(ExecutionLogTest, AMissingLogIsNotFoundAndADamagedOneIsAnError) {
  EXPECT_EQ(ExecutionLogReader::open(path_).status().code(), StatusCode::kNotFound);
  std::ofstream(path_) << "not a log at all";
  auto r = ExecutionLogReader::open(path_);
  ASSERT_TRUE(r.isOk());
  EXPECT_FALSE((*r)->next(1024).isOk());
}

TEST_F(ExecutionLogTest, TheTailerCopiesWhatAProgramAppendsToItsFiles) {
  auto w = ExecutionLogWriter::create(path_);
  ASSERT_TRUE(w.isOk());
  std::string out = (dir_ / "stdout").string();
  std::string err = (dir_ / "stderr").string();
  std::ofstream o(out);
  OutputFileTailer tailer(*w, out, err);
  o << "hello\n" << std::flush;
  auto r = ExecutionLogReader::open(path_);
  ASSERT_TRUE(r.isOk());
  std::vector<LogRecord> seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.empty() && std::chrono::steady_clock::now() < deadline) {
    seen = readAll(**r);
    if (seen.empty()) std::this_thread::yield();
  }
  ASSERT_EQ(seen.size(), 1u) << "copied while the program still runs";
  EXPECT_EQ(seen[0].data, "hello\n");
  std::ofstream(err) << "bye\n";
  tailer.stop();
  auto rest = readAll(**r);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].stream, LogStream::kStderr);
  EXPECT_EQ(rest[0].data, "bye\n");
}

}  // namespace
}  // namespace cod::executor
