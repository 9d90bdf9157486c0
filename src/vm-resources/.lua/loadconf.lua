-- require"loadconf": the configuration file's settings as a table, as the Mako Server's
-- module of that name returns them. Every global the file assigns is a field; the file runs
-- with the real globals readable. conf.load() reads the file again and returns a new table.
-- A file that does not load or run is reported with print(file, message); the settings made
-- before the error are kept.
local function readconf()
   local settings = {}
   local fname = mako and mako.cfgfname
   if type(fname) ~= "string" or fname == "" then return settings end
   local fh = ba.openio("disk"):open(fname)
   if not fh then return settings end
   local text = fh:read("a")
   fh:close()
   local chunk, err = load(text or "", "", "bt", settings)
   if chunk then
      setmetatable(settings, { __index = _G })
      local ok, rerr = pcall(chunk)
      setmetatable(settings, nil)
      if not ok then err = rerr end
   end
   if err then print(fname, err) end
   return settings
end

local conf = readconf()
conf.load = readconf
return conf
