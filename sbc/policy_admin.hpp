#pragma once
// The operator's view of the policy gate: admin commands (reload, bans list, bans lift ADDR,
// policy status) as JSON, and the gate's counters as Prometheus families (sbc_policy_*).
//
// Threading: io_context thread (admin handler, metrics snapshot job).
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "controlplane/policy/gate.hpp"
#include "controlplane/policy/reloader.hpp"

namespace sbc {

std::string reloadJson(const policy::ReloadOutcome& out);
std::string bansJson(const policy::PolicyGate& gate);
// "bans lift ADDR"
std::string liftJson(policy::PolicyGate& gate, const std::string& address);
std::string policyStatusJson(policy::PolicyGate& gate);

void appendPolicyFamilies(std::vector<prometheus::MetricFamily>& out, policy::PolicyGate& gate);

}  // namespace sbc
