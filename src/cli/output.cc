#include "cli/output.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "common/ids.h"
#include "common/strings.h"
#include "models/json.h"
#include "models/spec_loader.h"

namespace cod::cli {

namespace {

constexpr const char* kColumnGap = "   ";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kReset = "\x1b[0m";

std::string flattenCell(std::string cell) {
  std::replace(cell.begin(), cell.end(), '\n', ' ');
  std::replace(cell.begin(), cell.end(), '\t', ' ');
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\r')) cell.pop_back();
  return cell;
}

std::string padRight(const std::string& text, size_t width) {
  size_t w = displayWidth(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

std::tm localTime(Time t) {
  std::time_t secs = static_cast<std::time_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

}  // namespace

Result<OutputFormat> parseOutputFormat(std::string_view text) {
  std::string f = toLower(trim(text));
  if (f == "table" || f.empty()) return OutputFormat::kTable;
  if (f == "json") return OutputFormat::kJson;
  if (f == "yaml" || f == "yml") return OutputFormat::kYaml;
  return invalidArgument("unknown output format '" + std::string(text) +
                         "': use table, json or yaml");
}

void Table::addRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (auto& c : cells) c = flattenCell(std::move(c));
  rows_.push_back(std::move(cells));
}

std::string Table::render(const TableStyle& style) const {
  // Cut cells first, then size the columns on what will be printed.
  std::vector<std::vector<std::string>> cells = rows_;
  for (auto& row : cells) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!style.wide && columns_[i].max_width > 0) {
        row[i] = truncateText(row[i], columns_[i].max_width, style.styled);
      }
    }
  }
  std::vector<size_t> widths(columns_.size(), 0);
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (!style.hide_header) widths[i] = displayWidth(columns_[i].header);
    for (const auto& row : cells) widths[i] = std::max(widths[i], displayWidth(row[i]));
  }
  auto line = [&](const std::vector<std::string>& row, bool header) {
    std::string out;
    for (size_t i = 0; i < row.size(); ++i) {
      bool last = i + 1 == row.size();
      std::string cell = last ? row[i] : padRight(row[i], widths[i]);
      if (header && style.styled) {
        // Bold only the text, so padding stays plain.
        const std::string& text = row[i];
        std::string bold = kBold;
        bold += text;
        bold += kReset;
        bold += cell.substr(text.size());
        cell = std::move(bold);
      }
      out += cell;
      if (!last) out += kColumnGap;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out;
  if (!style.hide_header) {
    std::vector<std::string> header;
    for (const auto& c : columns_) header.push_back(c.header);
    out += line(header, true);
  }
  for (const auto& row : cells) out += line(row, false);
  return out;
}

std::string renderStructured(const boost::json::value& value, OutputFormat format) {
  COD_CHECK(format != OutputFormat::kTable) << "renderStructured needs json or yaml";
  if (format == OutputFormat::kJson) return models::serializePretty(value) + "\n";
  std::string yaml = models::jsonToYaml(value);
  if (yaml.empty() || yaml.back() != '\n') yaml += '\n';
  return yaml;
}

std::string formatTimestamp(Time t) {
  if (t.time_since_epoch().count() <= 0) return "";
  std::tm tm = localTime(t);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string formatUnixNanos(int64_t ns) {
  return ns <= 0 ? "" : formatTimestamp(fromUnixNanos(ns));
}

std::string formatTimeOfDay(Time t) {
  if (t.time_since_epoch().count() <= 0) return "";
  std::tm tm = localTime(t);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(ms));
  return std::string(buf) + frac;
}

std::string displayId(std::string_view id, bool wide) {
  return wide ? std::string(id) : shortId(id);
}

size_t displayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b && i + 1 < text.size() && text[i + 1] == '[') {
      // Skip "ESC [ … letter".
      i += 2;
      while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

std::string truncateText(std::string_view text, size_t width, bool styled) {
  if (displayWidth(text) <= width) return std::string(text);
  std::string_view ellipsis = styled ? "…" : "...";
  size_t keep = width > displayWidth(ellipsis) ? width - displayWidth(ellipsis) : 0;
  // Keep `keep` code points.
  size_t bytes = 0;
  size_t points = 0;
  while (bytes < text.size()) {
    auto c = static_cast<unsigned char>(text[bytes]);
    if ((c & 0xC0) != 0x80) {
      if (points == keep) break;
      ++points;
    }
    ++bytes;
  }
  return std::string(text.substr(0, bytes)) + std::string(ellipsis);
}

std::string oneLine(std::string_view text) {
  std::string out;
  for (const std::string& piece : split(text, '\n')) {
    std::string_view line = trim(piece);
    if (line.empty()) continue;
    if (!out.empty()) out += startsWith(line, "•") || endsWith(out, ":") ? " " : "; ";
    out += line;
  }
  return out;
}

std::string formatError(const Status& status) {
  std::string message = status.message().empty() ? std::string(statusCodeName(status.code()))
                                                 : oneLine(status.message());
  std::string out = "Error: " + message + "\n";
  if (!status.hint().empty()) out += "Hint: " + oneLine(status.hint()) + "\n";
  return out;
}

std::string formatLabels(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  parts.reserve(labels.size());
  for (const auto& [k, v] : labels) parts.push_back(v.empty() ? k : k + "=" + v);
  return join(parts, ", ");
}

}  // namespace cod::cli
