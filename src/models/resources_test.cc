#include "models/resources.h"

#include <gtest/gtest.h>

namespace cod::models {
namespace {

Resources parsed(ResourcesConfig config) {
  auto r = parseResources(config);
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  return r.isOk() ? *r : Resources{};
}

TEST(ParseResourcesTest, QuantitiesAsBacalhauWritesThem) {
  Resources r = parsed({"500m", "512mb", "1Gi", "2"});
  EXPECT_DOUBLE_EQ(r.cpu, 0.5);
  EXPECT_EQ(r.memory, 512'000'000u);
  EXPECT_EQ(r.disk, 1024u * 1024 * 1024);
  EXPECT_EQ(r.gpu, 2u);

  EXPECT_DOUBLE_EQ(parsed({"2", "", "", ""}).cpu, 2.0);
  EXPECT_DOUBLE_EQ(parsed({"1.5", "", "", ""}).cpu, 1.5);
  EXPECT_EQ(parsed({"", "512Mb", "", ""}).memory, 512'000'000u);
  EXPECT_EQ(parsed({"", "1GiB", "", ""}).memory, 1024u * 1024 * 1024);
  EXPECT_EQ(parsed({"", "1.5gb", "", ""}).memory, 1'500'000'000u);
  EXPECT_EQ(parsed({"", "1024", "", ""}).memory, 1024u);
  EXPECT_TRUE(parsed({}).isZero());
}

TEST(ParseResourcesTest, ErrorsNameTheField) {
  auto cpu = parseResources({"lots", "", "", ""});
  ASSERT_FALSE(cpu.isOk());
  EXPECT_EQ(cpu.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cpu.status().message().rfind("Resources.CPU: invalid CPU quantity \"lots\"", 0), 0u)
      << cpu.status().message();
  auto mem = parseResources({"", "12 parsecs", "", ""});
  EXPECT_EQ(mem.status().message().rfind("Resources.Memory: invalid size", 0), 0u)
      << mem.status().message();
  auto disk = parseResources({"", "", "-1gb", ""});
  EXPECT_EQ(disk.status().message().rfind("Resources.Disk: ", 0), 0u) << disk.status().message();
  auto gpu = parseResources({"", "", "", "0.5"});
  EXPECT_EQ(gpu.status().message(),
            "Resources.GPU: invalid GPU count \"0.5\": expected a whole number like \"1\"");
}

TEST(ParseResourcesTest, GpuCountsMustBeSmallWholeNumbers) {
  for (const char* bad : {"-1", "1.5", "+1", "1e3", "0x10", "two", "1 2", "18446744073709551616"}) {
    auto r = parseResources({"", "", "", bad});
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind("Resources.GPU: invalid GPU count", 0), 0u)
        << r.status().message();
  }
  auto absurd = parseResources({"", "", "", "4294967296"});
  ASSERT_FALSE(absurd.isOk());
  EXPECT_EQ(absurd.status().message(),
            "Resources.GPU: 4294967296 GPUs is more than a task may ask for (at most 1024)");
  EXPECT_FALSE(parseResources({"", "", "", "1025"}).isOk());
  EXPECT_EQ(parseResources({"", "", "", "1024"})->gpu, 1024u);
  EXPECT_EQ(parseResources({"", "", "", " 2 "})->gpu, 2u);
  EXPECT_EQ(parseResources({"", "", "", "0"})->gpu, 0u);
}

TEST(ResourcesTest, ArithmeticAndFitting) {
  Resources node = parsed({"4", "8gb", "100gb", "1"});
  Resources job = parsed({"500m", "512mb", "", ""});
  EXPECT_TRUE(job.fitsIn(node));
  EXPECT_FALSE(node.fitsIn(job));
  EXPECT_EQ(node.exceedsReason(job), "cpu: 4 > 0.5");

  Resources left = node - job;
  EXPECT_DOUBLE_EQ(left.cpu, 3.5);
  EXPECT_EQ(left.memory, 7'488'000'000u);
  EXPECT_EQ((left + job), node);
  EXPECT_TRUE((job - node).isZero());  // clamps at zero

  Resources half = node.scaled(0.5);
  EXPECT_DOUBLE_EQ(half.cpu, 2.0);
  EXPECT_EQ(half.gpu, 0u);
  EXPECT_EQ(job.toString(), "cpu 0.5, memory 512.0 MB");
}

}  // namespace
}  // namespace cod::models
