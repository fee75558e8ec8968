/* The HTML report's style sheet and script (html_page.css, html_page.js), built into
 * libmemplumber-report.so as NUL-terminated strings: the page stays editable as plain CSS and
 * JavaScript, and the report needs no file at run time. Paths are relative to the repository
 * root, where the build runs. */
    .section .rodata.mp_html_page, "a"
    .globl mp_html_page_css
    .hidden mp_html_page_css
    .type mp_html_page_css, @object
mp_html_page_css:
    .incbin "src/report/html_page.css"
    .byte 0
    .size mp_html_page_css, . - mp_html_page_css

    .globl mp_html_page_js
    .hidden mp_html_page_js
    .type mp_html_page_js, @object
mp_html_page_js:
    .incbin "src/report/html_page.js"
    .byte 0
    .size mp_html_page_js, . - mp_html_page_js

    .section .note.GNU-stack, "", @progbits
