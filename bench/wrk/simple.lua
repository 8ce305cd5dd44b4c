-- One fixed request: WRK_METHOD, WRK_BODY (form-encoded), WRK_AUTH (Authorization header value).
dofile(os.getenv("WRK_REPORT"))
wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local auth = os.getenv("WRK_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
