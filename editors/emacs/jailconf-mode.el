;;; jailconf-mode.el --- FreeBSD jail.conf(5) with the jailconf language server  -*- lexical-binding: t; -*-

;; A small major mode (comments, strings, variables, block and parameter
;; names) plus the Eglot registration of `jailconf lsp'.
;;
;; Usage: put this file on `load-path' and add to your init file:
;;   (require 'jailconf-mode)
;;   (add-hook 'jailconf-mode-hook #'eglot-ensure)
;; `jailconf' must be on `exec-path'.

;;; Code:

(defvar jailconf-mode-syntax-table
  (let ((table (make-syntax-table)))
    ;; `#' and `//' to the end of the line, `/* */' blocks.
    (modify-syntax-entry ?# "< b" table)
    (modify-syntax-entry ?/ ". 124" table)
    (modify-syntax-entry ?* ". 23" table)
    (modify-syntax-entry ?\n "> b" table)
    (modify-syntax-entry ?\" "\"" table)
    (modify-syntax-entry ?' "\"" table)
    (modify-syntax-entry ?_ "_" table)
    (modify-syntax-entry ?. "_" table)
    table)
  "Syntax table of `jailconf-mode'.")

(defvar jailconf-font-lock-keywords
  '(("^[[:space:]]*\\(\\.include\\)\\_>" 1 font-lock-keyword-face)
    ("\\$\\(?:{[^}\n]*}\\|[[:alpha:]_][[:alnum:]_]*\\)" . font-lock-variable-name-face)
    ("^[[:space:]]*\\(\"[^\"\n]*\"\\|[^[:space:]{};=\"#]+\\)[[:space:]]*{" 1 font-lock-type-face)
    ("^[[:space:]]*\\([[:alnum:]_.-]+\\)[[:space:]]*\\(?:\\+?=\\|;\\)" 1 font-lock-builtin-face))
  "Highlighting of `jailconf-mode'.")

;;;###autoload
(define-derived-mode jailconf-mode prog-mode "jail.conf"
  "Major mode for FreeBSD jail.conf(5) files."
  (setq-local comment-start "# ")
  (setq-local comment-start-skip "\\(?:#+\\|//+\\|/\\*+\\)[[:space:]]*")
  (setq-local indent-tabs-mode nil)
  (setq-local tab-width 4)
  (setq-local font-lock-defaults '(jailconf-font-lock-keywords)))

;;;###autoload
(progn
  ;; Not fail2ban's INI file of the same name.
  (add-to-list 'auto-mode-alist '("/jail\\.conf\\.d/[^/]*\\.conf\\'" . jailconf-mode))
  (add-to-list 'auto-mode-alist '("/jail\\.[^/]*\\.conf\\'" . jailconf-mode))
  (add-to-list 'auto-mode-alist '("\\(?:\\`\\|/\\)jail\\.conf\\'" . jailconf-mode))
  (add-to-list 'auto-mode-alist '("/fail2ban/jail\\.conf\\'" . conf-mode)))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs '(jailconf-mode "jailconf" "lsp")))

(provide 'jailconf-mode)
;;; jailconf-mode.el ends here
