// Starts `jailconf lsp` for jail.conf documents.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("jailconf").get("path") || "jailconf";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "jailconf",
    "jail.conf language server",
    { run: server, debug: server },
    {
      documentSelector: [{ language: "jailconf" }],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/{jailconf.toml,*.conf}"),
      },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
