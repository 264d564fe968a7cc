// Intel's TCB rating of a TDX platform against the body of a TCB info
// document (see rate_tdx_tcb in tdx_collateral.h); shared by the collateral
// checker, which verifies the document's signature first.
#pragma once

#include <string>

#include "collateral_json.h"
#include "tdx_collateral.h"

namespace cvfs::ratls {

// `tcb_info` is the document's "tcbInfo" object.
std::string rate_tcb_info(const Json& tcb_info, const PckTcb& pck, const TdxClaims& quote);

}  // namespace cvfs::ratls
