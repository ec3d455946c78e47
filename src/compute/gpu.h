#pragma once

// GPU detection on a compute node (DESIGN §6): each vendor's own tool, run when it is on PATH.
//
// * NVIDIA: `nvidia-smi --query-gpu=index,name,memory.total,pci.bus_id --format=csv,noheader,
//   nounits`
// * AMD: `rocm-smi --showproductname --showmeminfo vram --showbus --json`
// * Intel: `xpu-smi discovery --json`, then `xpu-smi discovery -d <id> --json` for each device's
//   memory
//
// The parsers are pure (a tool's output in, GPUs or an error naming what was wrong out). Running
// the tools is apart from them: a program found on the search path, started without a shell, its
// own process group killed when it overruns its timeout. A tool that is not installed means no
// GPUs of that vendor; a tool that fails, hangs or prints what the parser refuses is a warning in
// the log and no GPUs of that vendor, never an error that stops the node.
//
// PCI addresses are written the way sysfs names devices: lower-case, four-digit domain
// ("0000:3b:00.0"), whatever form the tool printed. Memory is in MiB.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "models/resources.h"

namespace cod::compute {

inline constexpr const char* kVendorNvidia = "NVIDIA";
inline constexpr const char* kVendorAmd = "AMD/ATI";
inline constexpr const char* kVendorIntel = "Intel";

// nvidia-smi's CSV (no header, no units): one "index, name, memory.total, pci.bus_id" line per
// GPU. Blank lines are skipped; memory "[N/A]" or "[Not Supported]" is 0; anything else that is
// not that shape is an error naming the line.
Result<std::vector<models::Gpu>> parseNvidiaSmi(std::string_view text);

// rocm-smi's JSON: one "cardN" object per GPU ("Card Series"/"Card series" or "Card SKU" as the
// name, "VRAM Total Memory (B)" in bytes, "PCI Bus"); other top-level keys ("system") are
// ignored, as are warning lines some versions print before the JSON.
Result<std::vector<models::Gpu>> parseRocmSmi(std::string_view text);

// `xpu-smi discovery --json`: {"device_list":[{"device_id","device_name","pci_bdf_address"}…]}
// (memory 0: the list does not say).
Result<std::vector<models::Gpu>> parseXpuSmiDiscovery(std::string_view text);
// `xpu-smi discovery -d <id> --json`: the device's "memory_physical_size_byte", in MiB.
Result<uint64_t> parseXpuSmiDeviceMemory(std::string_view text);

// "00000000:3B:00.0" → "0000:3b:00.0"; other text is returned trimmed and lower-cased.
std::string normalizePciAddress(std::string_view address);

struct GpuDetectOptions {
  // Where the tools are looked up, in PATH's form ("/usr/bin:/opt/rocm/bin"); empty = $PATH.
  std::string search_path;
  // How long one tool may run before it is killed.
  std::chrono::milliseconds timeout{10'000};
};

// The GPUs of every vendor whose tool is installed, NVIDIA first, then AMD, then Intel. Blocks for
// as long as the tools run. Never fails: see the file comment.
std::vector<models::Gpu> detectGpus(const GpuDetectOptions& options = {});

// The output of `program` (looked up in `search_path`, empty = $PATH) run with `args`: NotFound
// when it is not installed, DeadlineExceeded when it overran `timeout` (it is killed), Unavailable
// when it exited non-zero or was killed by a signal (the message carries the start of its
// stderr). Its stdout is capped at 4 MiB.
Result<std::string> runTool(const std::string& program, const std::vector<std::string>& args,
                            const std::string& search_path, std::chrono::milliseconds timeout);

}  // namespace cod::compute
