// The one Catch2 main for every test program (compiled once).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
