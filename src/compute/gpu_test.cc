// GPU detection: the vendors' outputs as parsed, and the tools as run (fake ones on a PATH that
// the test writes).

#include "compute/gpu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/ids.h"
#include "compute/capacity.h"

namespace cod::compute {
namespace {

namespace fs = std::filesystem;
using models::Gpu;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(ParseNvidiaSmi, SeveralGpus) {
  auto gpus = parseNvidiaSmi(
      "0, NVIDIA H200, 143771, 00000000:18:00.0\n"
      "1, NVIDIA H200, 143771, 00000000:2A:00.0\n"
      "2, Tesla T4, 15360, 00000000:00:1E.0\n");
  ASSERT_TRUE(gpus.isOk()) << gpus.status().message();
  EXPECT_EQ(*gpus, (std::vector<Gpu>{{0, "NVIDIA H200", "NVIDIA", 143771, "0000:18:00.0"},
                                     {1, "NVIDIA H200", "NVIDIA", 143771, "0000:2a:00.0"},
                                     {2, "Tesla T4", "NVIDIA", 15360, "0000:00:1e.0"}}));
}

TEST(ParseNvidiaSmi, OddWhitespaceBlankLinesAndUnknownValues) {
  auto gpus = parseNvidiaSmi(
      "\r\n  3 ,\tNVIDIA GeForce RTX 4090  ,24564 ,  00000000:01:00.0  \r\n\n"
      "7, NVIDIA GH200 480GB, [N/A], [N/A]\n"
      "8, Weird, Inc. Board, [Not Supported], 0000:02:00.0");
  ASSERT_TRUE(gpus.isOk()) << gpus.status().message();
  EXPECT_EQ(*gpus,
            (std::vector<Gpu>{{3, "NVIDIA GeForce RTX 4090", "NVIDIA", 24564, "0000:01:00.0"},
                              {7, "NVIDIA GH200 480GB", "NVIDIA", 0, ""},
                              {8, "Weird, Inc. Board", "NVIDIA", 0, "0000:02:00.0"}}));
  EXPECT_TRUE(parseNvidiaSmi("").isOk());
  EXPECT_TRUE(parseNvidiaSmi("\n \n")->empty());
}

TEST(ParseNvidiaSmi, MalformedLinesAreErrorsNamingTheLine) {
  struct Case {
    std::string text;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"0, A, 1, 0000:01:00.0\n1, B, 2\n",
            "nvidia-smi output line 2 \"1, B, 2\": expected 4 comma-separated fields"},
           {"\nx, A, 1, 0000:01:00.0", "line 2 \"x, A, 1, 0000:01:00.0\": index \"x\" is not"},
           {"-1, A, 1, 0000:01:00.0", "line 1 \"-1, A, 1, 0000:01:00.0\": index \"-1\""},
           {"0, A, 12.5, 0000:01:00.0", "memory.total \"12.5\" is not a whole number of MiB"},
           {"0, A, -4, 0000:01:00.0", "memory.total \"-4\""},
           {"0, , 1, 0000:01:00.0", "the GPU name is empty"},
           {"0, A, 1, a\n0, B, 1, b", "line 2 \"0, B, 1, b\": GPU index 0 appears twice"},
           {"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
            "line 1 \"NVIDIA-SMI has failed"},
       }) {
    auto gpus = parseNvidiaSmi(c.text);
    ASSERT_FALSE(gpus.isOk()) << c.text;
    EXPECT_EQ(gpus.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(gpus.status().message(), HasSubstr(c.message)) << c.text;
  }
}

TEST(ParseNvidiaSmi, AHugeLineIsQuotedShort) {
  auto gpus = parseNvidiaSmi(std::string(100'000, 'x'));
  ASSERT_FALSE(gpus.isOk());
  EXPECT_LT(gpus.status().message().size(), 400u);
}

TEST(ParseRocmSmi, CardsInIndexOrderWithTheSystemEntryIgnored) {
  // As ROCm 5/6 print it, a warning line first; key capitalisation differs between versions.
  auto gpus = parseRocmSmi(R"js(WARNING: AMD GPU device(s) is/are in a low-power state.
{"card1": {"Card Series": "AMD Instinct MI250X", "Card Model": "0x740c",
           "Card Vendor": "Advanced Micro Devices, Inc. [AMD/ATI]", "Card SKU": "D65209",
           "VRAM Total Memory (B)": "68702699520", "PCI Bus": "0000:C1:00.0"},
 "card0": {"Card series": "Radeon RX 7900 XTX", "Card model": "0x744c",
           "VRAM Total Memory (B)": "25753026560", "PCI Bus": "0000:03:00.0"},
 "card2": {"Card SKU": "D67301", "VRAM Total Memory (B)": "N/A"},
 "system": {
  "Driver version" : "6.7.0"
}
})js");
  ASSERT_TRUE(gpus.isOk()) << gpus.status().message();
  EXPECT_EQ(*gpus, (std::vector<Gpu>{{0, "Radeon RX 7900 XTX", "AMD/ATI", 24560, "0000:03:00.0"},
                                     {1, "AMD Instinct MI250X", "AMD/ATI", 65520, "0000:c1:00.0"},
                                     {2, "D67301", "AMD/ATI", 0, ""}}));
}

TEST(ParseRocmSmi, BadOutputIsAnError) {
  EXPECT_THAT(parseRocmSmi("ERROR: GPU[0] : not supported").status().message(),
              HasSubstr("no JSON object"));
  EXPECT_THAT(parseRocmSmi("{\"card0\": ").status().message(), HasSubstr("not valid JSON"));
  EXPECT_THAT(parseRocmSmi(R"({"cardX": {}})").status().message(),
              HasSubstr("\"cardX\" is not a card number"));
  EXPECT_THAT(parseRocmSmi(R"js({"card0": {"VRAM Total Memory (B)": "lots"
}
})js")
                  .status()
                  .message(),
              HasSubstr("\"lots\" is not a number of bytes"));
  EXPECT_THAT(parseRocmSmi(R"({"card0": {"Card Series": ["x"]}})").status().message(),
              HasSubstr("\"Card Series\" is not a string"));
}

TEST(ParseXpuSmi, DiscoveryListAndDeviceMemory) {
  auto gpus = parseXpuSmiDiscovery(R"({
    "device_list": [
        {"device_function_type": "physical", "device_id": 0,
         "device_name": "Intel(R) Data Center GPU Max 1550", "device_type": "GPU",
         "drm_device": "/dev/dri/card1", "pci_bdf_address": "0000:29:00.0",
         "pci_device_id": "0xbd5", "vendor_name": "Intel(R) Corporation"},
        {"device_id": 1, "device_name": "Intel(R) Arc(TM) A770 Graphics", "device_type": "GPU",
         "pci_bdf_address": "0000:9A:00.0"}
    ]})");
  ASSERT_TRUE(gpus.isOk()) << gpus.status().message();
  EXPECT_EQ(*gpus,
            (std::vector<Gpu>{{0, "Intel(R) Data Center GPU Max 1550", "Intel", 0, "0000:29:00.0"},
                              {1, "Intel(R) Arc(TM) A770 Graphics", "Intel", 0, "0000:9a:00.0"}}));
  EXPECT_TRUE(parseXpuSmiDiscovery(R"({"device_list": []})")->empty());
  EXPECT_THAT(
      parseXpuSmiDiscovery(R"({"device_list": [{"device_id": "zero"}]})").status().message(),
      HasSubstr("device_list[0]: device_id \"zero\" is not a whole number"));

  auto memory = parseXpuSmiDeviceMemory(
      R"({"device_id": 0, "memory_physical_size_byte": "68719476736", "device_name": "x"})");
  ASSERT_TRUE(memory.isOk()) << memory.status().message();
  EXPECT_EQ(*memory, 65536u);
  EXPECT_FALSE(parseXpuSmiDeviceMemory(R"({"memory_physical_size_byte": "-1"})").isOk());
}

TEST(NormalizePciAddress, SysfsForm) {
  EXPECT_EQ(normalizePciAddress(" 00000000:3B:00.0 "), "0000:3b:00.0");
  EXPECT_EQ(normalizePciAddress("0000:3B:00.0"), "0000:3b:00.0");
  EXPECT_EQ(normalizePciAddress("00010000:3b:00.0"), "00010000:3b:00.0");
}

// A temp dir that stands for PATH, with fake vendor tools written into it.
class FakeToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-gpu-test-" + newUuid());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void writeTool(const std::string& name, const std::string& body) {
    fs::path p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    fs::permissions(p, fs::perms::owner_all);
  }
  GpuDetectOptions options(std::chrono::milliseconds timeout = 10s) {
    return {dir_.string(), timeout};
  }

  fs::path dir_;
};

TEST_F(FakeToolsTest, NvidiaSmiOnThePathIsAskedForTheFieldsWeParse) {
  // Answers only the exact query detection is documented to make.
  writeTool("nvidia-smi",
            "[ \"$1\" = --query-gpu=index,name,memory.total,pci.bus_id ] || exit 9\n"
            "[ \"$2\" = --format=csv,noheader,nounits ] || exit 9\n"
            "[ $# -eq 2 ] || exit 9\n"
            "echo '0, NVIDIA A100-SXM4-80GB, 81920, 00000000:07:00.0'\n"
            "echo '1, NVIDIA A100-SXM4-80GB, 81920, 00000000:0F:00.0'\n");
  std::vector<Gpu> expected{{0, "NVIDIA A100-SXM4-80GB", "NVIDIA", 81920, "0000:07:00.0"},
                            {1, "NVIDIA A100-SXM4-80GB", "NVIDIA", 81920, "0000:0f:00.0"}};
  EXPECT_EQ(detectGpus(options()), expected);

  // The same through $PATH itself.
  std::string saved = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  setenv("PATH", dir_.c_str(), 1);
  std::vector<Gpu> via_path = detectGpus();
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(via_path, expected);

  // What a node offers: all of them, not 80 %.
  models::Resources machine = machineResources(dir_.string(), options());
  EXPECT_EQ(machine.gpu, 2u);
  EXPECT_EQ(machine.gpus, expected);
  models::Resources offered = defaultCapacity(dir_.string(), options());
  EXPECT_EQ(offered.gpu, 2u);
  EXPECT_EQ(offered.gpus, expected);
  EXPECT_LT(offered.cpu, machine.cpu);
}

TEST_F(FakeToolsTest, NoToolMeansNoGpus) {
  EXPECT_TRUE(detectGpus(options()).empty());
  EXPECT_EQ(defaultCapacity(dir_.string(), options()).gpu, 0u);
  EXPECT_EQ(runTool("nvidia-smi", {}, dir_.string(), 1s).status().code(), StatusCode::kNotFound);
  // Not executable is not installed.
  std::ofstream(dir_ / "rocm-smi") << "#!/bin/sh\necho '{}'\n";
  EXPECT_EQ(runTool("rocm-smi", {}, dir_.string(), 1s).status().code(), StatusCode::kNotFound);
}

TEST_F(FakeToolsTest, AFailingToolMeansNoGpusFromIt) {
  writeTool("nvidia-smi",
            "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA "
            "driver.' >&2\nexit 9\n");
  writeTool("rocm-smi",
            "echo '{\"card0\": {\"Card Series\": \"MI300X\", \"VRAM Total Memory (B)\": "
            "\"206141652992\", \"PCI Bus\": \"0000:05:00.0\"}}'\n");
  writeTool("xpu-smi", "echo 'not json'\n");
  EXPECT_EQ(detectGpus(options()),
            (std::vector<Gpu>{{0, "MI300X", "AMD/ATI", 196592, "0000:05:00.0"}}));
  auto failed = runTool("nvidia-smi", {}, dir_.string(), 5s);
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(failed.status().message(), HasSubstr("exited with status 9: NVIDIA-SMI has failed"));
}

TEST_F(FakeToolsTest, NvidiaSmiWithoutDevicesIsANodeWithoutGpus) {
  writeTool("nvidia-smi", "echo 'No devices were found'\nexit 6\n");
  EXPECT_TRUE(detectGpus(options()).empty());
}

TEST_F(FakeToolsTest, IntelDevicesGetTheirMemoryFromASecondQuery) {
  writeTool("xpu-smi",
            "if [ \"$2\" = -d ]; then\n"
            "  echo \"{\\\"device_id\\\": $3, \\\"memory_physical_size_byte\\\": "
            "\\\"17179869184\\\"}\"\n"
            "else\n"
            "  echo '{\"device_list\": [{\"device_id\": 0, \"device_name\": \"Arc A770\", "
            "\"device_type\": \"GPU\", \"pci_bdf_address\": \"0000:03:00.0\"}]}'\n"
            "fi\n");
  EXPECT_EQ(detectGpus(options()),
            (std::vector<Gpu>{{0, "Arc A770", "Intel", 16384, "0000:03:00.0"}}));
}

TEST_F(FakeToolsTest, AHangingToolIsKilledWithWhatItStarted) {
  // The sleep is a child of the script and holds its stdout: killing only the script would leave
  // the read waiting for it.
  writeTool("nvidia-smi", "sleep 30\necho '0, late, 1, 0000:01:00.0'\n");
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(detectGpus(options(200ms)).empty());
  auto result = runTool("nvidia-smi", {}, dir_.string(), 200ms);
  EXPECT_EQ(result.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
}  // namespace cod::compute
