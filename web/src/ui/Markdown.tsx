import { type ComponentProps, memo } from "react";
import ReactMarkdown, { type Components, defaultUrlTransform } from "react-markdown";
import remarkGfm from "remark-gfm";

/**
 * Markdown from the AI or an analyst. Raw HTML is dropped (no rehype-raw), unsafe URLs such
 * as javascript: are removed by react-markdown's urlTransform, links open in a new tab
 * without a referrer or opener, and images are never loaded: they become a link the person
 * can choose to open (the CSP would block them anyway).
 */
const components: Components = {
  a: ({ node: _node, href, children, ...rest }) =>
    href ? (
      <a {...rest} href={href} target="_blank" rel="noopener noreferrer">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  img: ({ src, alt }) => {
    const url = typeof src === "string" ? src : "";
    const label = `Image: ${alt || "untitled"}`;
    return url ? (
      <a className="image-link" href={url} target="_blank" rel="noopener noreferrer">
        {label}
      </a>
    ) : (
      <span className="image-link">{label}</span>
    );
  },
  // Wide code and tables scroll sideways on a phone: focusable, so the keyboard can scroll them.
  pre: ({ node: _node, ...rest }) => (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs keyboard access
    <pre {...rest} tabIndex={0} />
  ),
  table: ({ node: _node, ...rest }) => (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs keyboard access
    <div className="table-scroll" tabIndex={0}>
      <table {...rest} />
    </div>
  ),
};

/** Memoised: a message's markdown is parsed again only when its text changes. */
export default memo(function Markdown({ children }: { children: string }) {
  const props: ComponentProps<typeof ReactMarkdown> = {
    remarkPlugins: [remarkGfm],
    skipHtml: true,
    urlTransform: defaultUrlTransform,
    components,
  };
  return (
    <div className="markdown">
      <ReactMarkdown {...props}>{children}</ReactMarkdown>
    </div>
  );
});
