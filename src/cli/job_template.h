#pragma once

// Job spec templates for `cod job run FILE` (reference/bacalhau-api.md §10.4): before the spec is
// parsed, `{{ .name }}` placeholders are replaced by values from `-V/--template-vars name=value`
// and from the environment variables whose names match `-E/--template-envs REGEX`.
//
// Bacalhau runs the file through Go's text/template with missingkey=error and no extra functions.
// cod implements the part of that language a job spec uses, with the same results:
//
//   {{.name}}  {{ .name }}         the value of `name`; an unknown name is an error
//   {{- .name -}}                  also trims the whitespace (newlines included) before/after
//   {{ index . "my-name" }}        the value of a name that is not an identifier; "" when unknown
//   {{"{{"}}  {{`}}`}}              a string literal: how a spec writes literal braces
//   {{/* a comment */}}            nothing
//
// Anything else Go's templates have (if/range/with, pipelines, printf, variables) is an error that
// names its line and column, never copied through: the spec would otherwise reach the server with
// the braces in it. Values are inserted as text, exactly as Bacalhau does, and the result is then
// parsed as YAML or JSON: a value can therefore add YAML structure of its own (a newline and a new
// key). That is the user's own command line and environment speaking, and the server validates
// the resulting spec like any other; quote the placeholder in the spec ("{{ .name }}") when the
// value should stay one string.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace cod::cli {

using TemplateVars = std::map<std::string, std::string>;

// Adds one -V/--template-vars value, parsed as pflag's StringToString does (Bacalhau's flag):
// "k=v" is one pair (its value may hold commas; surrounding double quotes are dropped); a value
// with two or more '=' is a comma-separated list of pairs, CSV-quoted where a value holds a comma
// ("a=1,b=2", "\"a=1,2\",b=3"); "" adds nothing. Later values win. InvalidArgument for a pair
// without '='.
Status addTemplateVarFlag(std::string_view value, TemplateVars* vars);

// Adds every environment variable whose name matches `pattern` (an unanchored regular expression,
// as Go's MatchString; "*" means all) unless -V already set that name. InvalidArgument for a bad
// pattern.
Status addTemplateEnvs(const std::string& pattern,
                       const std::vector<std::pair<std::string, std::string>>& environment,
                       TemplateVars* vars);

// Renders `text` with `vars`. InvalidArgument naming the line and column for an unknown
// variable, unsupported syntax or an unclosed action.
Result<std::string> renderJobTemplate(std::string_view text, const TemplateVars& vars);

}  // namespace cod::cli
