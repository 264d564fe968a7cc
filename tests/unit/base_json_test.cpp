// The shared JSON parser: the size and nesting limits, and errors that say
// where the text is wrong without copying the text into the message.
#include "base/json.h"

#include <catch2/catch.hpp>

#include <string>

using cvfs::JsonError;
using cvfs::JsonLimits;
using cvfs::parse_json;

TEST_CASE("parse_json reads an object and keeps numbers as numbers") {
    auto j = parse_json(R"({"a": 1, "b": [true, "x"], "c": {"d": 18446744073709551615}})", "test");
    CHECK(j["a"].get<int>() == 1);
    CHECK(j["b"][1].get<std::string>() == "x");
    CHECK(j["c"]["d"].get<uint64_t>() == 18446744073709551615ULL);
}

TEST_CASE("parse_json accepts nesting up to the limit and refuses one more") {
    JsonLimits limits;
    limits.max_depth = 4;
    CHECK_NOTHROW(parse_json("[[[[1]]]]", "test", limits));
    CHECK_NOTHROW(parse_json(R"({"a":{"b":[{"c":1}]}})", "test", limits));
    CHECK_THROWS_WITH(parse_json("[[[[[1]]]]]", "the store", limits),
                      Catch::Contains("the store") && Catch::Contains("4 levels"));
    CHECK_THROWS_AS(parse_json(R"({"a":{"b":[{"c":[]}]}})", "test", limits), JsonError);
}

TEST_CASE("parse_json refuses 100000 levels without exhausting the stack") {
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    JsonLimits limits;
    limits.max_bytes = deep.size();
    CHECK_THROWS_AS(parse_json(deep, "test", limits), JsonError);
}

TEST_CASE("parse_json refuses text over the size limit before parsing it") {
    JsonLimits limits;
    limits.max_bytes = 10;
    CHECK_NOTHROW(parse_json("[1,2,3,4]", "test", limits));
    CHECK_THROWS_WITH(parse_json("[1,2,3,4,5]", "the reply", limits),
                      Catch::Contains("the reply") && Catch::Contains("11 bytes"));
}

TEST_CASE("parse_json names the position of a syntax error but not the text read") {
    try {
        parse_json("{\"key\": \"s3cr3t-value", "the store");
        FAIL("parsed unterminated text");
    } catch (const JsonError& e) {
        std::string m = e.what();
        CHECK(m.find("the store") != std::string::npos);
        CHECK(m.find("column") != std::string::npos);
        CHECK(m.find("s3cr3t") == std::string::npos);
        CHECK(m.find("json.exception") == std::string::npos);
    }
    CHECK_THROWS_AS(parse_json("", "test"), JsonError);
    CHECK_THROWS_AS(parse_json("{} x", "test"), JsonError);
}
