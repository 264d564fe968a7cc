// Small pieces of text that messages to a person share: sizes ("512 MiB",
// "1.5 GiB") and file modes ("0640"). Header-only, part of the SDK.
//
// Pure functions: no state, safe from any thread; the strings are the caller's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>

namespace cvfs::sdk {

// A size in the largest binary unit it reaches: whole units without a
// fraction ("64 MiB"), others with one decimal ("1.5 GiB").
inline std::string human_size(uint64_t bytes) {
    static const char* const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t unit = 0;
    uint64_t scale = 1;
    while (unit + 1 < std::size(units) && bytes / scale >= 1024) {
        scale *= 1024;
        ++unit;
    }
    char text[32];
    const double value = static_cast<double>(bytes) / static_cast<double>(scale);
    std::snprintf(text, sizeof text, bytes % scale == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

// The permission bits of `mode` as chmod takes them: four octal digits.
inline std::string octal_mode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

}  // namespace cvfs::sdk
