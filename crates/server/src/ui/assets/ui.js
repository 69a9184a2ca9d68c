// The web UI's small enhancements; every page works without them.
// - Copy buttons: `<button data-copy="id">` copies the text of element #id.
// - The catalog's search filters the cards as you type (the form still submits).
'use strict'
;(function () {
  function announce(button, text) {
    var status = button.parentNode.querySelector('.copied')
    if (status) {
      status.textContent = text
      setTimeout(function () {
        status.textContent = ''
      }, 4000)
    }
  }

  // Selecting the text and copying works where the asynchronous clipboard API is not
  // offered (pages reached over plain http on another host than localhost).
  function fallbackCopy(element) {
    var range = document.createRange()
    range.selectNodeContents(element)
    var selection = window.getSelection()
    selection.removeAllRanges()
    selection.addRange(range)
    var done = false
    try {
      done = document.execCommand('copy')
    } catch (e) {
      done = false
    }
    return done
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button[data-copy]')
    if (!button) return
    var element = document.getElementById(button.getAttribute('data-copy'))
    if (!element) return
    var text = element.textContent
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () {
          announce(button, 'Copied')
        },
        function () {
          announce(button, fallbackCopy(element) ? 'Copied' : 'Select the text and copy it')
        }
      )
    } else {
      announce(button, fallbackCopy(element) ? 'Copied' : 'Select the text and copy it')
    }
  })

  var search = document.getElementById('catalog-q')
  var cards = document.getElementById('catalog-cards')
  if (search && cards) {
    var count = document.getElementById('catalog-count')
    var empty = document.getElementById('catalog-empty')
    var filter = function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean)
      var shown = 0
      Array.prototype.forEach.call(cards.children, function (card) {
        var text = card.getAttribute('data-search') || ''
        var visible = words.every(function (w) {
          return text.indexOf(w) >= 0
        })
        card.hidden = !visible
        if (visible) shown++
      })
      if (count) count.textContent = shown === 1 ? '1 destination' : shown + ' destinations'
      if (empty) empty.hidden = shown !== 0
    }
    search.addEventListener('input', filter)
  }
})()
