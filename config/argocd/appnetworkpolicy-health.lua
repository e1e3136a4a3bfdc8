-- Argo CD health check for AppNetworkPolicy (argocd-cm key
-- resource.customizations.health.networking.kf.dev_AppNetworkPolicy). It reads the status the way
-- kstatus does: a generation the operator has not handled yet is Progressing, Stalled is Degraded,
-- Reconciling is Progressing, and only then does Ready decide.
local hs = { status = "Progressing", message = "waiting for appnetpol to report status" }
local status = obj.status
if status == nil or status.observedGeneration == nil then
  return hs
end
if status.observedGeneration ~= obj.metadata.generation then
  hs.message = "waiting for appnetpol to handle generation " .. tostring(obj.metadata.generation)
  return hs
end
local found = {}
for _, condition in ipairs(status.conditions or {}) do
  found[condition.type] = condition
end
local function described(condition)
  return condition.reason .. ": " .. condition.message
end
if found.Stalled ~= nil and found.Stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = described(found.Stalled)
elseif found.Reconciling ~= nil and found.Reconciling.status == "True" then
  hs.message = described(found.Reconciling)
elseif found.Ready ~= nil then
  if found.Ready.status == "True" then
    hs.status = "Healthy"
  elseif found.Ready.status == "False" then
    hs.status = "Degraded"
  end
  hs.message = found.Ready.message
end
return hs
