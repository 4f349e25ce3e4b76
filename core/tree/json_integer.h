// Integers read from untrusted JSON. nlohmann's get<T>() for an integral T
// casts whatever number the value holds: a float outside T's range (1e300,
// or an integer literal too long for 64 bits, which nlohmann keeps as a
// float) is undefined behaviour, and an integer outside it is silently
// truncated. JsonInteger takes integers only, and only in T's range; for
// anything else it throws nlohmann::json::type_error (302) naming the value,
// as get<T>() does for a string, so it drops into a parser's existing
// try/catch.
//
// Found by tests/fuzz (manifest header numbers, dedup parameters).
// Thread-safety: pure functions.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace cairn {

template <std::integral T>
T JsonInteger(const nlohmann::json& v) {
  bool fits = false;
  if (v.is_number_unsigned()) {
    fits = v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  } else if (v.is_number_integer()) {
    const std::int64_t s = v.get<std::int64_t>();
    fits = std::cmp_greater_equal(s, std::numeric_limits<T>::min()) &&
           std::cmp_less_equal(s, std::numeric_limits<T>::max());
  }
  if (!fits) {
    throw nlohmann::json::type_error::create(
        302,
        "expected an integer from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
            std::to_string(std::numeric_limits<T>::max()) + ", got " + v.dump().substr(0, 64),
        &v);
  }
  return v.is_number_unsigned() ? static_cast<T>(v.get<std::uint64_t>())
                                : static_cast<T>(v.get<std::int64_t>());
}

// object.value(key, fallback) for integers: the fallback when the key is
// absent, else JsonInteger of its value; like value(), type_error 306 when
// `object` is not an object.
template <std::integral T>
T JsonIntegerOr(const nlohmann::json& object, const char* key, T fallback) {
  if (!object.is_object()) {
    throw nlohmann::json::type_error::create(
        306, "cannot use value() with " + std::string(object.type_name()), &object);
  }
  auto it = object.find(key);
  return it == object.end() ? fallback : JsonInteger<T>(*it);
}

}  // namespace cairn
