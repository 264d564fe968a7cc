// Reading HeaderFacts from LUKS2 JSON (Boost.PropertyTree) and from libcryptsetup getters.
#include "luks/header_facts.h"

#include "base/error.h"
#include "luks/crypt_handle.h"
#include "luks/json_depth.h"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <libcryptsetup.h>

#include <sstream>

namespace cvfs {
namespace pt = boost::property_tree;

namespace {

[[noreturn]] void refuse(const std::string& device, const std::string& what) {
    throw Error(ErrorKind::Header, "the LUKS2 metadata of " + device + " cannot be read: " + what,
                "the header may have been damaged or tampered with");
}

// A number PropertyTree kept as text; JSON numbers and LUKS2's "string numbers" alike.
uint64_t number(const pt::ptree& tree, const std::string& path) {
    std::string text = tree.get<std::string>(path, "0");
    try {
        size_t used = 0;
        uint64_t value = std::stoull(text, &used);
        if (used == text.size() && text.find('-') == std::string::npos) return value;
    } catch (const std::exception&) {
    }
    refuse("the header", "\"" + path + "\" is \"" + text + "\", not a number");
}

uint32_t number32(const pt::ptree& tree, const std::string& path) {
    uint64_t value = number(tree, path);
    return value > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(value);
}

// The child at `path`, or an empty tree (get_child with a default would
// return a reference to a temporary).
const pt::ptree& child(const pt::ptree& tree, const std::string& path) {
    static const pt::ptree empty;
    auto found = tree.get_child_optional(path);
    return found ? *found : empty;
}

SegmentFacts segment_from(const std::string& id, const pt::ptree& tree) {
    SegmentFacts s;
    s.id = id;
    s.type = tree.get<std::string>("type", "");
    s.offset = number(tree, "offset");
    s.size = tree.get<std::string>("size", "");
    s.encryption = tree.get<std::string>("encryption", "");
    s.sector_size = number32(tree, "sector_size");
    s.integrity = tree.get<std::string>("integrity.type", "");
    return s;
}

KeyslotFacts keyslot_from(const std::string& id, const pt::ptree& tree) {
    KeyslotFacts k;
    k.id = id;
    k.type = tree.get<std::string>("type", "");
    k.key_bits = number32(tree, "key_size") * 8;
    k.area_offset = number(tree, "area.offset");
    k.area_size = number(tree, "area.size");
    k.area_type = tree.get<std::string>("area.type", "");
    k.area_encryption = tree.get<std::string>("area.encryption", "");
    k.area_key_bits = number32(tree, "area.key_size") * 8;
    k.af_type = tree.get<std::string>("af.type", "");
    k.af_stripes = number32(tree, "af.stripes");
    k.af_hash = tree.get<std::string>("af.hash", "");
    k.kdf = tree.get<std::string>("kdf.type", "");
    k.kdf_hash = tree.get<std::string>("kdf.hash", "");
    bool pbkdf2 = k.kdf == "pbkdf2";
    k.iterations = number32(tree, pbkdf2 ? "kdf.iterations" : "kdf.time");
    k.memory_kb = pbkdf2 ? 0 : number32(tree, "kdf.memory");
    k.parallel = pbkdf2 ? 0 : number32(tree, "kdf.cpus");
    return k;
}

DigestFacts digest_from(const std::string& id, const pt::ptree& tree) {
    return {id, tree.get<std::string>("type", ""), tree.get<std::string>("hash", ""),
            number32(tree, "iterations")};
}

// The keyslot size of the first keyslot the first digest names: the volume key.
uint32_t volume_key_bits_of(const pt::ptree& root, const std::vector<KeyslotFacts>& keyslots) {
    for (const auto& [id, digest] : child(root, "digests")) {
        for (const auto& entry : child(digest, "keyslots"))
            for (const auto& k : keyslots)
                if (k.id == entry.second.data()) return k.key_bits;
    }
    return 0;
}

pt::ptree parse(const std::string& json) {
    if (!json_depth_within(json))
        refuse("the header", "its JSON is nested deeper than " + std::to_string(kMaxHeaderJsonDepth) + " levels");
    pt::ptree root;
    std::istringstream in(json);
    try {
        pt::read_json(in, root);
    } catch (const pt::json_parser_error& e) {
        refuse("the header", "not JSON (" + e.message() + ")");
    }
    return root;
}

}  // namespace

HeaderFacts header_facts_from_json(const std::string& json) {
    pt::ptree root = parse(json);
    HeaderFacts f;
    f.metadata_size = number(root, "config.json_size") + 4096;
    f.keyslots_size = number(root, "config.keyslots_size");
    for (const auto& [id, tree] : child(root, "segments")) f.segments.push_back(segment_from(id, tree));
    for (const auto& [id, tree] : child(root, "keyslots")) f.keyslots.push_back(keyslot_from(id, tree));
    for (const auto& [id, tree] : child(root, "digests")) f.digests.push_back(digest_from(id, tree));
    for (const auto& [id, tree] : child(root, "tokens"))
        f.tokens.push_back({id, tree.get<std::string>("type", "")});
    for (const auto& [unused, tree] : child(root, "config.requirements.mandatory"))
        f.mandatory_requirements.push_back(tree.data());
    if (!f.segments.empty()) {
        const SegmentFacts& first = f.segments.front();
        f.cipher = first.encryption;
        f.sector_size = first.sector_size;
        f.integrity = first.integrity;
        f.data_offset = first.offset;
    }
    f.volume_key_bits = volume_key_bits_of(root, f.keyslots);
    return f;
}

namespace {

void read_keyslot_getters(crypt_device* cd, KeyslotFacts& k) {
    int slot = std::stoi(k.id);
    uint64_t offset = 0, length = 0;
    if (crypt_keyslot_area(cd, slot, &offset, &length) == 0) {
        k.area_offset = offset;
        k.area_size = length;
    }
    size_t key_size = 0;
    if (const char* enc = crypt_keyslot_get_encryption(cd, slot, &key_size)) {
        k.area_encryption = enc;
        k.area_key_bits = static_cast<uint32_t>(key_size * 8);
    }
    crypt_pbkdf_type pbkdf{};
    if (crypt_keyslot_get_pbkdf(cd, slot, &pbkdf) == 0 && pbkdf.type) {
        k.kdf = pbkdf.type;
        k.kdf_hash = pbkdf.hash ? pbkdf.hash : "";
        k.iterations = pbkdf.iterations;
        k.memory_kb = pbkdf.max_memory_kb;
        k.parallel = pbkdf.parallel_threads;
    }
}

}  // namespace

HeaderFacts read_header_facts(crypt_device* cd, const std::string& device) {
    CryptLock lock;
    const char* json = nullptr;
    if (crypt_dump_json(cd, &json, 0) < 0 || !json) refuse(device, "crypt_dump_json failed");
    HeaderFacts f = header_facts_from_json(json);
    const char* type = crypt_get_type(cd);
    f.format = type ? type : "";
    crypt_get_metadata_size(cd, &f.metadata_size, &f.keyslots_size);
    const char* cipher = crypt_get_cipher(cd);
    const char* mode = crypt_get_cipher_mode(cd);
    f.cipher = std::string(cipher ? cipher : "") + (mode && *mode ? std::string("-") + mode : "");
    int key_size = crypt_get_volume_key_size(cd);
    f.volume_key_bits = key_size > 0 ? static_cast<uint32_t>(key_size) * 8 : 0;
    f.sector_size = static_cast<uint32_t>(crypt_get_sector_size(cd));
    crypt_params_integrity integrity{};
    if (crypt_get_integrity_info(cd, &integrity) == 0)
        f.integrity = integrity.integrity ? integrity.integrity : "";
    f.data_offset = crypt_get_data_offset(cd) * 512;
    for (auto& k : f.keyslots) read_keyslot_getters(cd, k);
    return f;
}

}  // namespace cvfs
