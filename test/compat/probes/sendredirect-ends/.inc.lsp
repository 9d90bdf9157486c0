<?lsp
response:sendredirect("/frominclude")
trace("included page went on")
?>
