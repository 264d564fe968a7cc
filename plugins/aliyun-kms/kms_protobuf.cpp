// Hand-written protobuf wire codec for the three KMS messages, see
// kms_protobuf.h. Encoding: a tag is (field << 3 | wire type) as a varint;
// strings are tag, varint length, bytes; proto3 leaves default values out.
#include "kms_protobuf.h"

namespace cvfs::kms {
namespace {

constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

void put_varint(std::string& out, uint64_t value) {
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}

void put_string(std::string& out, uint32_t field, std::string_view value) {
    if (value.empty()) return;
    put_varint(out, field << 3 | kLengthDelimited);
    put_varint(out, value.size());
    out.append(value);
}

void put_int(std::string& out, uint32_t field, int64_t value) {
    if (value == 0) return;
    put_varint(out, field << 3 | kVarint);
    put_varint(out, static_cast<uint64_t>(value));  // negative int32: ten bytes, as proto3 does
}

// One field read from the wire.
struct Field {
    uint32_t number = 0;
    uint32_t wire_type = 0;
    uint64_t varint = 0;     // wire type 0
    std::string_view bytes;  // wire type 2
};

class WireReader {
public:
    explicit WireReader(std::string_view body) : body_(body) {}
    bool done() const { return pos_ == body_.size(); }

    // Reads the next field; false when the bytes are malformed.
    bool next(Field& field) {
        uint64_t tag = 0;
        if (!varint(tag) || tag >> 3 == 0 || tag >> 3 > UINT32_MAX) return false;
        field.number = static_cast<uint32_t>(tag >> 3);
        field.wire_type = static_cast<uint32_t>(tag & 7);
        switch (field.wire_type) {
            case kVarint:
                return varint(field.varint);
            case kFixed64:
                return skip(8);
            case kFixed32:
                return skip(4);
            case kLengthDelimited: {
                uint64_t length = 0;
                if (!varint(length) || length > body_.size() - pos_) return false;
                field.bytes = body_.substr(pos_, length);
                pos_ += length;
                return true;
            }
            default:
                return false;  // groups (3, 4) are not used by proto3
        }
    }

private:
    bool varint(uint64_t& value) {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= body_.size()) return false;
            uint8_t byte = static_cast<uint8_t>(body_[pos_++]);
            value |= uint64_t(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return true;
        }
        return false;
    }
    bool skip(size_t n) {
        if (n > body_.size() - pos_) return false;
        pos_ += n;
        return true;
    }

    std::string_view body_;
    size_t pos_ = 0;
};

// Runs `take(field)` for each field; `take` returns false for a field whose
// wire type does not match its number.
template <class Take>
bool read_fields(std::string_view body, Take&& take) {
    WireReader reader(body);
    Field field;
    while (!reader.done()) {
        if (!reader.next(field) || !take(field)) return false;
    }
    return true;
}

bool is_string(const Field& field, std::string_view& out) {
    if (field.wire_type != kLengthDelimited) return false;
    out = field.bytes;
    return true;
}

}  // namespace

std::string encode(const GetSecretValueRequest& message) {
    std::string out;
    put_string(out, 1, message.secret_name);
    put_string(out, 2, message.version_stage);
    put_string(out, 3, message.version_id);
    put_int(out, 4, message.fetch_extended_config ? 1 : 0);
    return out;
}

std::string encode(const GetSecretValueResponse& message) {
    std::string out;
    put_string(out, 1, message.secret_name);
    put_string(out, 2, message.secret_type);
    put_string(out, 3, message.secret_data);
    put_string(out, 4, message.secret_data_type);
    for (auto stage : message.version_stages) put_string(out, 5, stage);
    put_string(out, 6, message.version_id);
    put_string(out, 8, message.request_id);
    return out;
}

std::string encode(const KmsErrorMessage& message) {
    std::string out;
    put_int(out, 1, message.status_code);
    put_string(out, 2, message.error_code);
    put_string(out, 3, message.error_message);
    put_string(out, 4, message.request_id);
    return out;
}

std::optional<GetSecretValueRequest> decode_get_secret_value_request(std::string_view body) {
    GetSecretValueRequest message;
    bool ok = read_fields(body, [&](const Field& f) {
        switch (f.number) {
            case 1:
                return is_string(f, message.secret_name);
            case 2:
                return is_string(f, message.version_stage);
            case 3:
                return is_string(f, message.version_id);
            case 4:
                message.fetch_extended_config = f.varint != 0;
                return f.wire_type == kVarint;
            default:
                return true;
        }
    });
    if (!ok) return std::nullopt;
    return message;
}

std::optional<GetSecretValueResponse> decode_get_secret_value_response(std::string_view body) {
    GetSecretValueResponse message;
    bool ok = read_fields(body, [&](const Field& f) {
        switch (f.number) {
            case 1:
                return is_string(f, message.secret_name);
            case 2:
                return is_string(f, message.secret_type);
            case 3:
                return is_string(f, message.secret_data);
            case 4:
                return is_string(f, message.secret_data_type);
            case 5:
                return is_string(f, message.version_stages.emplace_back());
            case 6:
                return is_string(f, message.version_id);
            case 8:
                return is_string(f, message.request_id);
            default:
                return f.number <= 13 ? f.wire_type == kLengthDelimited : true;
        }
    });
    if (!ok) return std::nullopt;
    return message;
}

std::optional<KmsErrorMessage> decode_error(std::string_view body) {
    KmsErrorMessage message;
    bool ok = read_fields(body, [&](const Field& f) {
        switch (f.number) {
            case 1:
                message.status_code = static_cast<int32_t>(f.varint);
                return f.wire_type == kVarint;
            case 2:
                return is_string(f, message.error_code);
            case 3:
                return is_string(f, message.error_message);
            case 4:
                return is_string(f, message.request_id);
            default:
                return true;
        }
    });
    if (!ok) return std::nullopt;
    return message;
}

}  // namespace cvfs::kms
