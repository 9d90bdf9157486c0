---@meta
-- Authentication and sessions (BAS's authenticators, user databases, authorizers, sessions and
-- the login tracker). docs/api/auth.md describes them.

---A user database: ba.create.authuser(fn) or ba.create.jsonuser().
---@class BaUserDb
---@field getpwd fun(self: BaUserDb, name: string): (string|nil, integer?, boolean?, integer?) password (or HA1), maxusers, recycle, inactive
---@field set fun(self: BaUserDb, db: table|string): (true|nil, string?) jsonuser only: replaces the user table
---@field authorizer fun(self: BaUserDb): BaAuthorizer jsonuser only: an authorizer over its roles

---@class BaAuthorizer
---@field authorize fun(self: BaAuthorizer, request: BaRequest, method: string, path: string): boolean
---@field set fun(self: BaAuthorizer, constraints: table|string): (true|nil, string?) JSON authorizer only
---@field casesensitive fun(self: BaAuthorizer, on?: boolean): boolean JSON authorizer only; returns the previous setting

---@class BaAuthenticator
---@field authenticate fun(self: BaAuthenticator, request: BaRequest, relpath: string): (string|nil, string?, string?) name, password, type

---@class BaSession
---@field id fun(self: BaSession, asstring?: boolean): integer|string
---@field creationtime fun(self: BaSession): integer
---@field lastaccessedtime fun(self: BaSession, touch?: boolean): integer
---@field maxinactiveinterval fun(self: BaSession, seconds?: integer): integer the value before the call
---@field peername fun(self: BaSession): string
---@field usecounter fun(self: BaSession): integer
---@field user fun(self: BaSession): (string|nil, string?, string?)
---@field attributes fun(self: BaSession): table|nil
---@field terminate fun(self: BaSession): boolean
---@field lock fun(self: BaSession): boolean
---@field release fun(self: BaSession): boolean

---A user database whose passwords come from `fn(name, password_given_or_nil, _ENV)`, which
---returns the password (or {HA1} or true), and optionally maxusers, recycle, inactive.
---@param fn function
---@return BaUserDb
function ba.create.authuser(fn) end

---An empty JSON user database; fill it with :set{name = {pwd = "...", roles = {...}}}.
---@return BaUserDb
function ba.create.jsonuser() end

---An authorizer whose decision is `fn(username, method, path, session) == true`.
---@param fn function
---@return BaAuthorizer
function ba.create.authorizer(fn) end

---@class BaAuthenticatorOptions
---@field type? "basic"|"digest"|"form"|"sform"|"auth"|"dav" default "digest"
---@field realm? string default "Barracuda Server"
---@field response? fun(_ENV: table, authinfo: table) the login response (required for form)
---@field tracker? boolean count failed logins in ba.tracker

---@param userdb BaUserDb
---@param options? BaAuthenticatorOptions
---@return BaAuthenticator
function ba.create.authenticator(userdb, options) end

---A session by number (or by request and cookie value); false when there is none.
---@return BaSession|false
function ba.session(id_or_request, cookie, create) end

---The numbers of every live session, or of the sessions of one user.
---@param username? string
---@return integer[]
function ba.sessions(username) end

---The names of the logged-in users.
---@return string[]
function ba.users() end

ba.tracker = {}

---Addresses with failed logins: {counter=, aux=, addr=, name=, time=} each.
---@return table[]
function ba.tracker.attempted() end

---The last 50 successful logins: {addr=, name=, time=} each.
---@return table[]
function ba.tracker.successful() end

---Forgets every failed attempt (lifts every ban).
---@return true
function ba.tracker.clearcache() end

---Sets (or with no argument, removes) fn(success, username, addr, _ENV), called on each tracked login.
---@param fn? function
function ba.tracker.setlogh(fn) end
