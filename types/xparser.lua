---@meta
-- xparser: BAS's event-driven XML parser (a global, as in the Mako Server). docs/api/xparser.md

---@alias XparserEvent "INIT"|"RESET"|"TERM"|"START"|"XML"|"START_ELEMENT"|"END_ELEMENT"|"EMPTY_ELEMENT"|"PI"|"COMMENT"|"CDATA"|"TEXT"

---Handler functions by event name, each called as handler(ctx, ...): START_ELEMENT and
---EMPTY_ELEMENT (ctx, name, attrs), END_ELEMENT (ctx, name), XML (ctx, attrs), PI (ctx,
---target, data), COMMENT, CDATA, TEXT (ctx, text), INIT, RESET, TERM (ctx). attrs lists the
---attribute names in order and maps each name to its value. A handler that returns a non-nil
---value stops parsing: parse returns what it returned.
---@class XparserHandlers
---@field INIT? fun(ctx: any): any
---@field RESET? fun(ctx: any): any
---@field TERM? fun(ctx: any)
---@field XML? fun(ctx: any, attrs: table<integer|string, string>): any
---@field START_ELEMENT? fun(ctx: any, name: string, attrs: table<integer|string, string>): any
---@field END_ELEMENT? fun(ctx: any, name: string): any
---@field EMPTY_ELEMENT? fun(ctx: any, name: string, attrs: table<integer|string, string>): any
---@field PI? fun(ctx: any, target: string, data: string): any
---@field COMMENT? fun(ctx: any, text: string): any
---@field CDATA? fun(ctx: any, text: string): any
---@field TEXT? fun(ctx: any, text: string): any

---@class XPARSER
local XPARSER = {}

xparser = {}

---Creates a parser. ctx is passed to every handler; mode: "PRESERVE" (default; every text),
---"TRIM" (texts trimmed, empty ones skipped), "SKIPBLANK" (whitespace-only texts skipped).
---Give the mode (nil for the default) whenever you give ctx: with exactly two arguments
---create raises "bad argument #3 ... (string expected, got table)", as in Mako.
---@param handlers? XparserHandlers
---@param ctx? any
---@param mode? "PRESERVE"|"TRIM"|"SKIPBLANK"
---@return XPARSER|nil
function xparser.create(handlers, ctx, mode) end

---Parses the next chunk of the document: true, has_doc (the root element is complete); nil,
---"Error (line=L col=C) : message"; or the values of a handler that stopped parsing (the
---parser then needs reset()).
---@param chunk string
---@return any ...
function XPARSER:parse(chunk) end

---Calls the RESET handler (returns its values) and starts a new document.
---@param full? boolean
---@return any ...
function XPARSER:reset(full) end

---Calls the TERM handler and ends the parser (also on garbage collection or close).
function XPARSER:destroy() end

---Bytes parsed so far.
---@return integer
function XPARSER:count() end

---Current line (from 1).
---@return integer
function XPARSER:line() end

---Current column.
---@return integer
function XPARSER:col() end

---Number of open elements.
---@return integer
function XPARSER:depth() end

---True once a root element is complete.
---@return boolean
function XPARSER:has_doc() end
