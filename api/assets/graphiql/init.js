// Starts GraphiQL on /graphql: the example operations of docs/operations/ as tabs, the
// endpoint of this origin, and the headers editor open for a token. Loaded as a file:
// the page's Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  var data = document.getElementById('territoires-operations');
  var examples = [];
  try {
    examples = JSON.parse(data ? data.textContent : '[]');
  } catch (error) {
    examples = [];
  }
  // The nonce of this page, for the one <style> element GraphiQL's dialogs add
  // (react-remove-scroll reads webpack's global): the policy has no 'unsafe-inline'.
  var nonce = document.body.getAttribute('data-style-nonce');
  if (nonce) {
    window.__webpack_nonce__ = nonce;
  }
  var tabs = examples.map(function (example) {
    return {
      query: example.document,
      variables: example.variables || undefined,
    };
  });
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: tabs.length ? tabs : undefined,
      defaultQuery: tabs.length ? tabs[0].query : undefined,
      // Add {"Authorization": "Bearer <token>"} here to act with a role; a token typed
      // here stays in this tab: never written to localStorage.
      defaultHeaders: '{}',
      shouldPersistHeaders: false,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
