// The KMS instance SDK's own known-answer signature vector, as test data.
//
// The vendor's Java SDK ships a unit test that signs the string "string to
// sign" with a throwaway client key ("key_for_unit_test", password "1234") and
// states the expected Authorization value. The key is a public, test-only
// fixture of that SDK (it unlocks nothing); it is a real PKCS#12 in the
// vendor's legacy format (RC2-40 certificate bag, 3DES key bag, SHA-1 MAC), so
// it also proves our loader reads what the console hands out.
#pragma once

namespace kms_test {

inline constexpr const char* kSdkVectorStringToSign = "string to sign";
inline constexpr const char* kSdkVectorPassword = "1234";
inline constexpr const char* kSdkVectorKeyId = "key_for_unit_test";

inline constexpr const char* kSdkVectorClientKey =
    "{\n"
    "\"KeyId\":\"key_for_unit_test\",\n"
    "\"PrivateKeyData\":\""
    "MIIJwwIBAzCCCY8GCSqGSIb3DQEHAaCCCYAEggl8MIIJeDCCBC8GCSqGSIb3DQEHBqCCBCAwggQcAgEAMIIEFQYJKoZIhvcNAQcB"
    "MBwGCiqGSIb3DQEMAQYwDgQIFnZYCeuJPxUCAggAgIID6MfYATEagEZ1nT/HlDnoqoQhgUG777R5+RwdI0udVY60pupTcpIbaScd"
    "UdbTeMBoG9fVhZp8nx55ztd14zYa2CNQq2zhmv7pN8dAB99Ht7ZAMXp34G+1wzYLzdyJi7ERS6v93vM6zNnbAnP/fDskzyU0oRFd"
    "uZFJZFEfNw/ASot4zs+48Z8HXLnEorjKJCpcO8WNtmKMkoBYFBKNFuib6ncd5EwjLpDk1r8oW4ZU5jXkInx9CuKWBht1cDVcTpwx"
    "J7DiJqUnVbl1moSoaZPfar9xUMEPB2RZefvrx/2W2/Odop4BR8cuDzla1/738UthFFWyjSvjeeIx30ciO6MqgvVV2hwoqBEQz2ID"
    "v/f7IQPVLHKlnfVh8xh/EJKi1SDrR1jd7AjDeOI+wQjFlQhjG1zleSvAd8sGLctrdK7jMv5a9g5ezLU70DdHmEm4E/DJ8lz3ITnC"
    "p1rWSUbDXUm05BgcTnoGlvwRAWAKtFlb3yWy+hgEt0UzqFws+XKufximNEOshcQFc9Uq1CPCnMYvonZeCr4ae7bBTLrbp7KJMajF"
    "j3VqomALKJA4UZJYgWLETXtIPKMuIPGA4nUCWimoH54xueki4GtcsiuDvgopsKQ6Sfp/oLbmwd+B73c2pfOgFjUDmgLWF3zNC+vJ"
    "KK1LbgfaTIPnYq6LdBZvv3rc1GDtXxqfwWJAoGArzUvW/TvOOO9xUn129VLuzJYvCsSsaV3p5OeVxRHdq3Gs+xgGp+dCA5bRggPI"
    "Vow238U+P/WvxDbhIA37NmCJUKSy4+AzsypzF9C2yZifdsQVu/55T/5xge2yrrnlpx/16vUw/NxrCp/J7DeFFSQSru0gy1nJXxd9"
    "zCd6uA9zol0rp0kmhof9WCaGsXIeagbrAi16dacymxS34J5JA/5K/fFc5nP7SJ4w+3OL1CAMMO2GXOexXs6CeIb8aQNn0zy7vb1+"
    "WmQH/qCOxQ3P1E6f7kLLs8UObFzfzJpuQ/CPSQuQZA5EPiXR/1OBRYvfYJMVBjkOkF69VXE7R8cgmRm7LV3dK7xuVlpmixXfgUdd"
    "DmQSs86cmQ+cjm70+m5Q80WzKL8pvspKjaLXYXHzkAL1/fNtZJ8hwcMYqqrvPgN96s4UvDHdMt4EGytQohMvsuNAKvn4G4+panc/"
    "DI6KyWDdVlWgL8y0SYjFQOFZjPSwaZkHPN/7YH1pPjh7xcphqm21/JB/D9P7b8Sm5njD7zHMhEUZiI7+ojBgNqsTV9VKeYc7r8Iy"
    "RdzDWgaiyw1IBLtyWAwFpxuphe3bHd4/QPs4C2J/FZLNtG8UlOZyV+CT54WGIyna4QJlakTzbLz1m8cwggVBBgkqhkiG9w0BBwGg"
    "ggUyBIIFLjCCBSowggUmBgsqhkiG9w0BDAoBAqCCBO4wggTqMBwGCiqGSIb3DQEMAQMwDgQIzldmSOWnxr4CAggABIIEyMrvkbiz"
    "MHDr9STceCtzbomo96GWGhoMYY9y+r3Slmiwh07JctT4PLPoNW+zO1HjV6n2GjzbXy+Cw3SM8oizvxwJ+SPIVlmL25ArK8frFr0t"
    "qTx/5dJUWx9C9JqHnAEG7KE80RXzR6nbEXlzGRoJrecuoFyTDr4ubHveQIjOuiKQh5N/RaMKCIlGcol87q9dV5a2NEOxuT0f+EQD"
    "+Yk8e6c4LKPZNkCtHHTTZehq91sF2Ve6cCJLefRPFLkNIsX2fMVBQ6nZ3xZFYQFK14EkrrPx7B6cT3AiGbBUxfHpjr952IJb1Tr3"
    "I+btFfOVRUruMJ2Fk2LevgsuUheFQ/HTVBsV5UrEGbmIruGwEhx9Jl38Cq8KUA4YIdXBbNIGEXSw3lCJXnYMo8RJ3wu7LzzStxsv"
    "l7y9kbxixtWKji1bzWdVH4eBNA1WwQTjfrKu4lcZTaESPsdHIBGg1mT1VFPFL+nUe9CdgnfSUYCY74u2HbeAq+daCccxk2Mtc338"
    "LyeLM9oFvpLkofObVkORLrQtW+GjCBugPqdvG+LVO0HOdXQEEGWiCC8E/98JHHWgA5M/yIz0SXsySRY1XICQryL2sIXd8YDmSYYk"
    "VsEgQYcu630Sov2kVxXYtUL/ojZ83uCaD2dYHGY/cPx7BxmXipR0EY/myOLmT/pIl9cZZiK0MI+EpMP96+bxO1BUGg46Onu76Gkj"
    "ysPNnDR6V8JTgktU/agCC1GvsJbQH1ELxhgO8N6P2ngne5c4zHxEmsc5Ixn1EfgsES7AYHlTTV995GWH/br+q2B+UeS1OePrZrMd"
    "RyAkFfKua5aGNw+8zQGwVPWHXKlUcl8jww/ShsF8nbG9JnJS7JYZr+ajkeDfkVmzPyInmXdVk2Tw48k/MRJwMmdfOhA4uZHrhKsY"
    "HohSsio/A67QPg6qS16kyz2bVpEIT/V+dhT2/E3WtJnoF9k17OdhkHrNnbZrJpdntnnnRxCd5fDVObH8KApBSP6cgAtnaNMUx/qq"
    "HcdV7ylAdKGDARbiub9XqkXwUYyd2foLukWSRt3uKRgAvMxja+u1amF9o3DqVdgANQmSDDPuDwMYuQbLRdkxrWo/1Qnv29ZvyWuu"
    "vIWMW0hPu0UGk4cZeDqGpYOJec0Cu8n9frQ6lOpKa3raVDeJqJsScLYGibMknvsEg1rv+8NjAq7n4mrFG3IapVOz7jtlMR+XoxIv"
    "rirhh0gY7BBmDTEH3Kdr/yZd2xeDADfMJJXaTpzkVtsD525Kqfu9Xtf/u49qKormWJ7MNjOgCGhwRzLyOryugHPmdR2PU1Zdu4AH"
    "5jUIR/GnPlo9uMmmp1zC8SXLeqJ0RVj9qI4FX3OLgFFj9OyuQgbti4NSDlG3s19EjJQG6V8M3kU60G3KZb/u5CFU0BgiUYWgI/lO"
    "KGrCVTDpADJNwOn+qAfQ3XrWz6NHzra/DNK8QgJVHj62v9Vb1TxkULZHJVtI4UZRXJBUJBIOEbvuu3HRQfF1Zo0RFuR7fqCb7C8W"
    "4Uq3ZO5Fif+9KkzrOM6/zoGFz88V81g2r5O7hLnQQxo4T04QDma6OLh2vzUWLQ6oz3EOGaO5C5hOkMRze/JlQNWY9EhIfXGh8U8H"
    "2zwKNp64QoO8OoSFnyO39XlIkTElMCMGCSqGSIb3DQEJFTEWBBR9h1HdgBC4kcrU2MWHh0sDIw55BDArMB8wBwYFKw4DAhoEFEmW"
    "HI7FV5D8vAbDu3sqALKxOTZTBAgU+G0z7dWZSg=="
    "\"\n"
    "}";

inline constexpr const char* kSdkVectorAuthorization =
    "Bearer 8qCkGCbTUrY8sA17CiaGvUEX/xFAsHyckv8sh3eVUyUz9iMyJE+vGX+LnVX+vNxCE+bepwxlrewa8mlppq5Sosww"
    "GWipOFP91TqgdqD44hOiLr/5wtDNRAYyWzriFD/gt1ZklzxKr0rmW0c7kCA+QnB0t6uotHPfXhG+5/E7zRMq/GpRIylYvi50"
    "k/26vTouRo7zjc4f6Gf9L+oAuPRih6KarNvw08FQH8DRQ3xVe4QKVwW4hdk47RQ8JySR6lLoli8DFXRmY4d7NNAlyIkGauF1"
    "MXGoKv+IzgSJ24QnCyQZ/3bXD4ZnGCguKd92mvF1z7S5hw+aeuXsU+he4LS8QA==";

}  // namespace kms_test
