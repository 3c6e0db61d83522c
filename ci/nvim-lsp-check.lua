-- Headless Neovim drives `jailconf lsp` through its built-in client and
-- checks diagnostics, hover, completion and formatting. Run by
-- ci/nvim-lsp-check.sh, which sets:
--   JAILCONF_BIN       the jailconf binary
--   JAILCONF_FIXTURE   the file to open (a copy of fixtures/lsp/nvim.conf)
--   JAILCONF_EXPECTED  the fixture as jailfmt formats it
-- Works with Neovim 0.7 (Debian 12: vim.lsp.start_client) and 0.8+
-- (vim.lsp.start). Exits 0 when every check passes, 1 otherwise.

local TIMEOUT = 20000
local failures = 0

local function log(message)
  io.stderr:write(message .. "\n")
end

local function check(ok, what, detail)
  if ok then
    log("ok      " .. what)
  else
    failures = failures + 1
    log("FAILED  " .. what .. (detail and (": " .. detail) or ""))
  end
end

local function main()
  local bin = assert(os.getenv("JAILCONF_BIN"), "JAILCONF_BIN is not set")
  local fixture = assert(os.getenv("JAILCONF_FIXTURE"), "JAILCONF_FIXTURE is not set")
  local expected_path = assert(os.getenv("JAILCONF_EXPECTED"), "JAILCONF_EXPECTED is not set")

  vim.cmd("edit " .. vim.fn.fnameescape(fixture))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = "jailconf"

  local config = {
    name = "jailconf",
    cmd = { bin, "lsp" },
    root_dir = vim.fn.fnamemodify(fixture, ":h"),
  }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config)
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
  check(client_id ~= nil, "the server starts")
  if not client_id then
    return
  end

  -- Diagnostics: the unknown parameter on line 6.
  local got = vim.wait(TIMEOUT, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 50)
  local diagnostics = vim.diagnostic.get(bufnr)
  check(got, "diagnostics are published")
  local unknown
  for _, d in ipairs(diagnostics) do
    if d.code == "JC008" or (d.user_data and d.user_data.lsp and d.user_data.lsp.code == "JC008") then
      unknown = d
    end
  end
  check(unknown ~= nil, "JC008 (unknown parameter) is reported", vim.inspect(diagnostics))
  if unknown then
    check(unknown.lnum == 5 and unknown.col == 0, "JC008 is on line 6, column 1",
      ("line %d col %d"):format(unknown.lnum + 1, unknown.col + 1))
  end

  local uri = vim.uri_from_bufnr(bufnr)
  local function request(method, params)
    local results, err = vim.lsp.buf_request_sync(bufnr, method, params, TIMEOUT)
    if not results then
      return nil, err or "no answer"
    end
    local answer = results[client_id]
    if not answer then
      return nil, "no answer from jailconf"
    end
    if answer.err then
      return nil, vim.inspect(answer.err)
    end
    return answer.result
  end

  -- Hover on `persist` (line 7).
  local hover, hover_err = request("textDocument/hover", {
    textDocument = { uri = uri },
    position = { line = 6, character = 2 },
  })
  local hover_text = hover and hover.contents and (hover.contents.value or hover.contents) or ""
  check(type(hover_text) == "string" and hover_text:find("**persist**", 1, true) ~= nil,
    "hover shows the parameter table entry", hover_err or vim.inspect(hover))

  -- Completion after `allow.raw_so` (line 6, column 12).
  local completion, completion_err = request("textDocument/completion", {
    textDocument = { uri = uri },
    position = { line = 5, character = 12 },
  })
  local items = completion and (completion.items or completion) or {}
  local labels = {}
  for _, item in ipairs(items) do
    labels[item.label] = true
  end
  check(labels["allow.raw_sockets"] == true, "completion offers allow.raw_sockets",
    completion_err or ("%d items"):format(#items))

  -- Formatting: the buffer becomes what jailfmt prints.
  local edits, format_err = request("textDocument/formatting", {
    textDocument = { uri = uri },
    options = { tabSize = 4, insertSpaces = true },
  })
  check(edits ~= nil, "formatting answers", format_err)
  if edits then
    local client = vim.lsp.get_client_by_id(client_id)
    vim.lsp.util.apply_text_edits(edits, bufnr, client.offset_encoding or "utf-16")
    local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    local expected = vim.fn.readfile(expected_path)
    check(vim.deep_equal(lines, expected), "formatting gives jailfmt's output",
      "\n" .. table.concat(lines, "\n"))
  end

  -- Shut the server down cleanly.
  vim.lsp.stop_client(client_id)
  vim.wait(5000, function()
    return vim.lsp.get_client_by_id(client_id) == nil
  end, 50)
end

local ok, err = pcall(main)
if not ok then
  failures = failures + 1
  log("FAILED  " .. tostring(err))
end
if failures > 0 then
  log(("%d check(s) failed"):format(failures))
  vim.cmd("cquit 1")
else
  log("all Neovim checks passed")
  vim.cmd("qall!")
end
