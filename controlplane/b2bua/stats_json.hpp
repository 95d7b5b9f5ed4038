#pragma once
// The B2BUA's counters as a JSON object, for the admin socket's status (sbcctl status).
#include <string>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/destination_monitor.hpp"

namespace sbc::b2bua {

std::string statsJson(const B2buaStats& calls, const DestinationMonitorStats* destinations);

}  // namespace sbc::b2bua
