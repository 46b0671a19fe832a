-- Puts the current meeting videos into the pages at every render, frozen chapters included.
--
-- The one way meeting videos reach a page. Before every render, book/meeting_videos.py (a
-- pre-render step) writes the markdown of each chapter's section and of the Videos page's
-- listing into _meeting-videos/, from videos/. This filter, which Quarto runs on every page
-- whether its cells ran or were replayed from _freeze/, swaps that markdown in:
--   * in a chapter, everything under the "## Meeting videos" heading (up to the next heading of
--     level 2 or above, or Quarto's hidden envelopes after the text: the chapter's one-line
--     placeholder) becomes _meeting-videos/<chapter>.md;
--   * on the Videos page, the div #cohort-recordings becomes _meeting-videos/videos.md.
-- Without the folder (a render that skipped the pre-render step) the placeholders stay.

local FOLDER = "_meeting-videos"

local function project_dir()
  if quarto ~= nil and quarto.project ~= nil and quarto.project.directory ~= nil then
    return quarto.project.directory
  end
  return pandoc.system.get_working_directory()
end

local function input_stem()
  local input = (quarto ~= nil and quarto.doc ~= nil and quarto.doc.input_file)
    or PANDOC_STATE.input_files[1]
  local name = pandoc.path.filename(input or "")
  return (name:gsub("%.[^.]*$", ""))
end

-- The blocks of _meeting-videos/<name>.md, read as Quarto markdown (so the video shortcodes in
-- it are expanded like any other), or nil if the file is not there.
local function generated(name)
  local path = pandoc.path.join({ project_dir(), FOLDER, name .. ".md" })
  local file = io.open(path, "r")
  if file == nil then
    return nil
  end
  local text = file:read("a")
  file:close()
  if quarto ~= nil and quarto.utils ~= nil and quarto.utils.string_to_blocks ~= nil then
    return quarto.utils.string_to_blocks(text)
  end
  return pandoc.read(text, "markdown").blocks
end

local function is_videos_heading(block)
  return block.t == "Header" and block.level == 2
    and (block.identifier == "meeting-videos"
      or pandoc.utils.stringify(block.content) == "Meeting videos")
end

-- Quarto appends its own machinery to every page's markdown as hidden divs after the text:
-- #quarto-navigation-envelope (the page footer, sidebar and breadcrumbs as Markdown, which
-- Pandoc renders and Quarto then moves into the page template), #quarto-meta-markdown, ... Since
-- "Meeting videos" is a chapter's last section, those divs follow it: skipping them with the
-- placeholder left Quarto nothing rendered to move, and it fell back to the footer's raw
-- Markdown ("Code under the [MIT licence](https://...)") on every chapter, and on no other page.
local function is_quarto_envelope(block)
  return block.t == "Div" and block.classes:includes("hidden")
    and block.identifier:match("^quarto%-") ~= nil
end

local function replace_section(blocks, fresh)
  local result = pandoc.List()
  local skipping = false
  for _, block in ipairs(blocks) do
    if skipping and ((block.t == "Header" and block.level <= 2) or is_quarto_envelope(block)) then
      skipping = false
    end
    if not skipping then
      result:insert(block)
    end
    if is_videos_heading(block) then
      result:extend(fresh)
      skipping = true
    end
  end
  return result
end

local function fill_chapter_section(doc)
  for _, block in ipairs(doc.blocks) do
    if is_videos_heading(block) then
      local fresh = generated(input_stem())
      if fresh ~= nil then
        doc.blocks = replace_section(doc.blocks, fresh)
      end
      return doc
    end
  end
end

local function fill_videos_page(div)
  if div.identifier == "cohort-recordings" then
    local fresh = generated("videos")
    if fresh ~= nil then
      div.content = fresh
      return div
    end
  end
end

return {
  { Pandoc = fill_chapter_section },
  { Div = fill_videos_page },
}
