<?lsp
print("user", request:user())
print("session", type(request:session()))
if request:data"logout" then print("logout", request:logout(), request:logout()) end
if request:data"login" then print("login", request:login(request:data"login"), request:login("x")) end
print("users", #ba.users(), #ba.sessions())
?>
