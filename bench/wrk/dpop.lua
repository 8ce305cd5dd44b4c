-- One fixed request (WRK_METHOD, WRK_BODY form-encoded, WRK_AUTH) that carries, when WRK_DPOP_POOL names a
-- file, the next unused DPoP proof from it (one per line, each used once: proofs are single-use).
dofile(os.getenv("WRK_REPORT"))
local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local auth = os.getenv("WRK_AUTH")
local poolFile = os.getenv("WRK_DPOP_POOL")
local pool = {}
local nextProof = 1

function init(args)
  counts = {}
  if poolFile and poolFile ~= "" then
    for line in io.lines(poolFile) do
      if line ~= "" then table.insert(pool, line) end
    end
  end
end

request = function()
  local headers = {}
  if body and body ~= "" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  if auth and auth ~= "" then headers["Authorization"] = auth end
  if #pool > 0 then
    headers["DPoP"] = pool[nextProof] or "exhausted"
    nextProof = nextProof + 1
  end
  return wrk.format(method, nil, headers, (body ~= "" and body) or nil)
end

response = function(status, headers, body)
  count_status(status)
end
