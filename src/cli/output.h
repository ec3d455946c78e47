#pragma once

// How the CLI prints: aligned tables, JSON/YAML dumps, times, IDs and errors.
//
// Tables are plain text padded with spaces. "Styled" output (a TTY without --no-style) only adds
// a bold header and a Unicode ellipsis for truncated cells; everything else is identical, so piped
// output is stable.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "common/clock.h"
#include "common/status.h"

namespace cod::cli {

enum class OutputFormat { kTable, kJson, kYaml };

// "table", "json", "yaml" (case-insensitive). InvalidArgument otherwise.
Result<OutputFormat> parseOutputFormat(std::string_view text);

struct TableStyle {
  bool styled = false;  // bold header, "…" for truncation
  bool wide = false;    // never truncate; full IDs
  bool hide_header = false;
};

struct Column {
  std::string header;
  size_t max_width = 0;  // truncate longer cells unless wide; 0 = never
};

class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // Missing cells are empty; newlines in cells become spaces.
  void addRow(std::vector<std::string> cells);
  size_t rowCount() const { return rows_.size(); }
  // Every line ends with '\n'; columns are separated by three spaces; no trailing spaces.
  std::string render(const TableStyle& style) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Pretty JSON or block YAML, ending with a newline. Precondition: format is not kTable.
std::string renderStructured(const boost::json::value& value, OutputFormat format);

// Local time "2024-08-19 20:40:26"; "" for the zero/epoch time.
std::string formatTimestamp(Time t);
// Job/Execution times (Unix nanoseconds); "" for 0.
std::string formatUnixNanos(int64_t ns);
// Local time of day with milliseconds: "20:40:26.100".
std::string formatTimeOfDay(Time t);

// The short form ("j-3514ff75") unless wide.
std::string displayId(std::string_view id, bool wide);

// Characters as a terminal shows them: UTF-8 code points, ANSI escapes not counted.
size_t displayWidth(std::string_view text);
// Cuts `text` to `width` display characters, ending with "…" (styled) or "..." when cut.
std::string truncateText(std::string_view text, size_t width, bool styled);

// Joins the lines of a multi-line message: "a\nb" → "a; b"; a line starting with "•" or following
// one that ends with ':' is joined with a space.
std::string oneLine(std::string_view text);

// "Error: <message>\n" plus "Hint: <hint>\n" when the status has one; each on one line.
std::string formatError(const Status& status);

// "k1=v1, k2=v2" (sorted by key).
std::string formatLabels(const std::map<std::string, std::string>& labels);

}  // namespace cod::cli
