// The one way into Boost.Asio / Beast for Cairn code (see CONVENTIONS.md,
// "Known traps"): Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, which GCC 12 does not pull in transitively. Include
// this header, never boost/asio*.hpp or boost/beast*.hpp directly.
#pragma once

#include <utility>  // must precede Asio (see above)

// Boost 1.74 turns co_await support on for GCC and MSVC only; clang 14 has
// C++20 coroutines too (libstdc++'s <coroutine>), and the fuzz build
// (tests/fuzz) compiles this header with it.
#if defined(__clang__) && defined(__cpp_impl_coroutine) && !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace cairn {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
}  // namespace cairn
