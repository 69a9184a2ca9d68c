/*
 * A second device-mode destination, loaded by analytics-next exactly like the
 * Iterate bundle (a remotePlugins entry; libraryName "recorderDestination").
 * It records every event it receives, so a scenario can check that a broken or
 * hanging Iterate destination does not starve the other destinations.
 */
(function () {
  'use strict';
  window.recorderDestination = function (settings) {
    function handle(ctx) {
      if (window.__recordDestinationEvent) window.__recordDestinationEvent(ctx);
      return Promise.resolve(ctx);
    }
    var plugin = {
      name: 'Recorder (Actions) record',
      type: 'destination',
      version: '1.0.0',
      isLoaded: function () { return true; },
      load: function () { return Promise.resolve(); },
      ready: function () { return Promise.resolve(); },
      track: handle,
      identify: handle,
      page: handle,
      group: handle,
      alias: handle,
      screen: handle
    };
    return Promise.resolve([plugin]);
  };
})();
