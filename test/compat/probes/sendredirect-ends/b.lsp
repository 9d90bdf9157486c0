<?lsp
response:include(".inc.lsp")
trace("including page went on")
?>
