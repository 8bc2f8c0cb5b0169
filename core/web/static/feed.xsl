<?xml version="1.0" encoding="UTF-8"?>
<!--
  arxiv-feeds: RSS 2.0 and Atom feeds as a readable page when opened in a browser.
  Feed readers ignore this stylesheet. Every value is output as text (output escaping
  is never turned off): an item's HTML body is split into paragraphs and
  its tags dropped here, so nothing from arXiv or an LLM ever becomes markup.
-->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  exclude-result-prefixes="atom dc">

  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="home" select="(/rss/channel/link | /atom:feed/atom:link[not(@rel) or @rel='alternate']/@href)[1]"/>
  <xsl:variable name="self" select="(/rss/channel/atom:link[@rel='self']/@href | /atom:feed/atom:link[@rel='self']/@href)[1]"/>

  <xsl:template match="/">
    <xsl:variable name="title" select="(/rss/channel/title | /atom:feed/atom:title)[1]"/>
    <xsl:variable name="description" select="(/rss/channel/description | /atom:feed/atom:subtitle)[1]"/>
    <xsl:variable name="items" select="/rss/channel/item | /atom:feed/atom:entry"/>
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="color-scheme" content="light dark"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <link rel="stylesheet" href="{$home}static/style.css"/>
        <link rel="icon" href="{$home}static/icon.svg" type="image/svg+xml"/>
      </head>
      <body class="feed-view">
        <header class="site-header">
          <div class="wrap site-header-inner">
            <a class="brand" href="{$home}"><img src="{$home}static/icon.svg" alt="" width="28" height="28"/><span>arxiv-feeds</span></a>
            <nav aria-label="Site"><ul>
              <li><a href="{$home}#profiles">Profiles</a></li>
              <li><a href="{$home}#build">Build a feed</a></li>
            </ul></nav>
          </div>
        </header>
        <main id="main" class="wrap">
          <section class="preview-head card" aria-labelledby="feed-title">
            <p class="kicker">Web feed</p>
            <h1 id="feed-title"><xsl:value-of select="$title"/></h1>
            <p class="description"><xsl:value-of select="$description"/></p>
            <p>This page is a feed: to subscribe, paste its address into your feed reader.
              It is shown here as a page because a browser opened it.</p>
            <div class="url-row">
              <label class="visually-hidden" for="feed-address">Feed address</label>
              <input id="feed-address" class="copy-field" type="text" readonly="readonly" value="{$self}"/>
              <a class="button small" href="feed:{$self}">Open in feed reader</a>
            </div>
            <p class="stats"><b><xsl:value-of select="count($items)"/></b> papers</p>
          </section>
          <ol class="papers" aria-label="Papers in this feed">
            <xsl:apply-templates select="$items"/>
          </ol>
        </main>
        <footer class="site-footer"><div class="wrap">
          <p>Listings from arXiv. <a href="{$home}">More feeds and the feed builder</a></p>
        </div></footer>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item | atom:entry">
    <xsl:variable name="link" select="(link | atom:link[not(@rel) or @rel='alternate']/@href)[1]"/>
    <li class="paper">
      <h2 class="paper-title">
        <span class="rank"><xsl:value-of select="position()"/>.</span>
        <xsl:text> </xsl:text>
        <a href="{$link}"><xsl:value-of select="title | atom:title"/></a>
      </h2>
      <p class="authors">
        <xsl:text>Announced </xsl:text>
        <xsl:choose>
          <xsl:when test="pubDate"><xsl:value-of select="substring(pubDate, 1, 16)"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="substring(atom:published, 1, 10)"/></xsl:otherwise>
        </xsl:choose>
      </p>
      <div class="paper-body">
        <xsl:call-template name="paragraphs">
          <xsl:with-param name="html" select="(description | atom:content)[1]"/>
        </xsl:call-template>
      </div>
    </li>
  </xsl:template>

  <!-- The item body (HTML as text): one <p> per </p>-terminated chunk. -->
  <xsl:template name="paragraphs">
    <xsl:param name="html"/>
    <xsl:choose>
      <xsl:when test="contains($html, '&lt;/p&gt;')">
        <xsl:call-template name="paragraph">
          <xsl:with-param name="html" select="substring-before($html, '&lt;/p&gt;')"/>
        </xsl:call-template>
        <xsl:call-template name="paragraphs">
          <xsl:with-param name="html" select="substring-after($html, '&lt;/p&gt;')"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="paragraph">
          <xsl:with-param name="html" select="$html"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A paragraph as text; a leading <b>label</b> stays bold. The links paragraph is left
       out: the title links to the abstract page. -->
  <xsl:template name="paragraph">
    <xsl:param name="html"/>
    <xsl:variable name="text">
      <xsl:call-template name="strip"><xsl:with-param name="html" select="$html"/></xsl:call-template>
    </xsl:variable>
    <xsl:variable name="plain" select="normalize-space($text)"/>
    <xsl:if test="$plain != '' and not(starts-with($plain, 'Abstract page'))">
      <xsl:variable name="start" select="normalize-space(substring-after($html, '&lt;p&gt;'))"/>
      <xsl:choose>
        <xsl:when test="starts-with($start, '&lt;b&gt;') and contains($start, '&lt;/b&gt;')">
          <xsl:variable name="label" select="substring-before(substring-after($start, '&lt;b&gt;'), '&lt;/b&gt;')"/>
          <xsl:variable name="rest">
            <xsl:call-template name="strip">
              <xsl:with-param name="html" select="substring-after($start, '&lt;/b&gt;')"/>
            </xsl:call-template>
          </xsl:variable>
          <p>
            <xsl:if test="starts-with($label, 'Score')"><xsl:attribute name="class">label-score</xsl:attribute></xsl:if>
            <strong><xsl:call-template name="unescape"><xsl:with-param name="s" select="$label"/></xsl:call-template></strong>
            <xsl:text> </xsl:text>
            <xsl:call-template name="unescape"><xsl:with-param name="s" select="normalize-space($rest)"/></xsl:call-template>
          </p>
        </xsl:when>
        <xsl:otherwise>
          <p><xsl:call-template name="unescape"><xsl:with-param name="s" select="$plain"/></xsl:call-template></p>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:if>
  </xsl:template>

  <!-- Drop tags (list items become bullets); entities are decoded afterwards, so text
       that was escaped in the body (&lt;SEG&gt;) is never taken for a tag. -->
  <xsl:template name="strip">
    <xsl:param name="html"/>
    <xsl:choose>
      <xsl:when test="contains($html, '&lt;')">
        <xsl:value-of select="substring-before($html, '&lt;')"/>
        <xsl:variable name="tag" select="substring-before(substring-after($html, '&lt;'), '&gt;')"/>
        <xsl:choose>
          <xsl:when test="$tag = 'li'"><xsl:text> • </xsl:text></xsl:when>
          <xsl:when test="$tag = 'br' or $tag = 'br/' or $tag = 'ul' or $tag = 'ol' or starts-with($tag, 'h')"><xsl:text> </xsl:text></xsl:when>
        </xsl:choose>
        <xsl:call-template name="strip">
          <xsl:with-param name="html" select="substring-after(substring-after($html, '&lt;'), '&gt;')"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$html"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="unescape">
    <xsl:param name="s"/>
    <xsl:call-template name="replace">
      <xsl:with-param name="s">
        <xsl:call-template name="replace">
          <xsl:with-param name="s">
            <xsl:call-template name="replace">
              <xsl:with-param name="s">
                <xsl:call-template name="replace">
                  <xsl:with-param name="s">
                    <xsl:call-template name="replace">
                      <xsl:with-param name="s">
                        <xsl:call-template name="replace">
                          <xsl:with-param name="s" select="$s"/>
                          <xsl:with-param name="from" select="'&amp;lt;'"/>
                          <xsl:with-param name="to" select="'&lt;'"/>
                        </xsl:call-template>
                      </xsl:with-param>
                      <xsl:with-param name="from" select="'&amp;gt;'"/>
                      <xsl:with-param name="to" select="'&gt;'"/>
                    </xsl:call-template>
                  </xsl:with-param>
                  <xsl:with-param name="from" select="'&amp;quot;'"/>
                  <xsl:with-param name="to" select="'&quot;'"/>
                </xsl:call-template>
              </xsl:with-param>
              <xsl:with-param name="from" select="'&amp;#x27;'"/>
              <xsl:with-param name="to" select='"&apos;"'/>
            </xsl:call-template>
          </xsl:with-param>
          <xsl:with-param name="from" select="'&amp;#183;'"/>
          <xsl:with-param name="to" select="'·'"/>
        </xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="from" select="'&amp;amp;'"/>
      <xsl:with-param name="to" select="'&amp;'"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="replace">
    <xsl:param name="s"/>
    <xsl:param name="from"/>
    <xsl:param name="to"/>
    <xsl:choose>
      <xsl:when test="contains($s, $from)">
        <xsl:value-of select="substring-before($s, $from)"/>
        <xsl:value-of select="$to"/>
        <xsl:call-template name="replace">
          <xsl:with-param name="s" select="substring-after($s, $from)"/>
          <xsl:with-param name="from" select="$from"/>
          <xsl:with-param name="to" select="$to"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
