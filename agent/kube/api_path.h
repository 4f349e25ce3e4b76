// Percent-encoding for the paths and query strings KubeClient's callers
// build: object names go into a path segment ("system:node:n1" keeps its
// ':'), selectors and continue tokens into query values ("app in (a,b)").
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace cairn::kube {

// Keeps RFC 3986 unreserved characters and the sub-delimiters, ':' and '@'
// that a path segment may hold; escapes everything else ('/', '?', '%', ' ').
std::string EscapePathSegment(std::string_view segment);

// Keeps only unreserved characters; escapes the rest, so '&', '=', '+' and
// ',' inside a value cannot be read as query syntax.
std::string EscapeQueryValue(std::string_view value);

}  // namespace cairn::kube
