return {
  not lua
}
