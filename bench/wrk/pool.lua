-- Requests that each spend one token from a pool (WRK_POOL: a file with one token per line), e.g. refresh
-- rotation: the refresh_token of every response goes back into the pool, so the chain never runs dry.
-- WRK_BODY is a form body with TOKEN where the token goes; WRK_AUTH the Authorization header.
dofile(os.getenv("WRK_REPORT"))
local template = os.getenv("WRK_BODY")
local auth = os.getenv("WRK_AUTH")
local field = os.getenv("WRK_NEXT_FIELD") -- JSON field of the response that refills the pool ("" = reuse)
local pool = {}

function init(args)
  counts = {}
  for line in io.lines(os.getenv("WRK_POOL")) do
    if line ~= "" then table.insert(pool, line) end
  end
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

request = function()
  local token = table.remove(pool, 1)
  if not token then token = "exhausted" end
  if not field or field == "" then table.insert(pool, token) end
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if auth and auth ~= "" then headers["Authorization"] = auth end
  local i, j = template:find("TOKEN", 1, true)
  return wrk.format("POST", nil, headers, template:sub(1, i - 1) .. urlencode(token) .. template:sub(j + 1))
end

response = function(status, headers, body)
  count_status(status)
  if field and field ~= "" then
    local next = body:match('"' .. field .. '":"([^"]+)"')
    if next then table.insert(pool, next) end
  end
end
