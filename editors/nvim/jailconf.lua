-- jail.conf(5) support for Neovim 0.8+: file type detection and the
-- `jailconf lsp` language server through the built-in client.
--
-- Put this file in ~/.config/nvim/plugin/ (or `require` it from your
-- init.lua). `jailconf` must be on PATH (or set vim.g.jailconf_path).

vim.filetype.add({
  filename = {
    ["jail.conf"] = function(path)
      -- fail2ban's INI file of the same name is not ours.
      if path:find("/fail2ban/", 1, true) then
        return nil
      end
      return "jailconf"
    end,
  },
  pattern = {
    [".*/jail%.conf%.d/.*%.conf"] = "jailconf",
    [".*/jail%.[^/]*%.conf"] = "jailconf",
  },
})

vim.api.nvim_create_autocmd("FileType", {
  pattern = "jailconf",
  callback = function(args)
    local markers = vim.fs.find({ "jailconf.toml", ".git" }, {
      upward = true,
      path = vim.fs.dirname(args.file),
    })
    vim.lsp.start({
      name = "jailconf",
      cmd = { vim.g.jailconf_path or "jailconf", "lsp" },
      root_dir = markers[1] and vim.fs.dirname(markers[1]) or vim.fs.dirname(args.file),
    })
    vim.bo[args.buf].commentstring = "# %s"
  end,
})
